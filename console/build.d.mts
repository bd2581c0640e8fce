export declare const CONSOLE_ROOT: string;
export declare const CONSOLE_DIST: string;
export declare function sourceHash(): string;
export declare function isCurrent(): boolean;
export declare function buildConsole(o?: { quiet?: boolean }): Promise<{ dir: string; bytes: number }>;
