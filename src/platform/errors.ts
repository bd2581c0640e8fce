// The project's base error: every error says which stage failed, and carries an AWS-style code
// where one exists so the API can answer with it unchanged.

export class VpcflowError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
