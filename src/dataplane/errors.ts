// Typed errors of the data plane: a value that may not reach a kernel tool, a name clash with an
// object vpcflow did not create, a failed kernel command, an unreadable state file.

import { VpcflowError } from '../platform/errors.ts';

/** A value that is not a validated id, address, CIDR, port or protocol number where one must be. */
export class UnsafeValueError extends VpcflowError {
  constructor(
    readonly what: string,
    readonly value: string,
    readonly where: string,
  ) {
    super('DataplaneUnsafeValue', `${where}: refusing ${what} ${JSON.stringify(value.slice(0, 80))}: not a validated value`, 500);
  }
}

/** A kernel object that vpcflow would create already exists and is not in its state file. */
export class NameConflictError extends VpcflowError {
  constructor(
    readonly kind: 'namespace' | 'link',
    readonly objectName: string,
    readonly ownerId: string,
  ) {
    super(
      'DataplaneNameConflict',
      `${kind} ${objectName} (for ${ownerId}) already exists but is not recorded in the state file: refusing to adopt an object vpcflow did not create`,
      409,
    );
  }
}

/** A kernel tool (ip, nft, sysctl, ethtool, tcpdump) exited with an error. */
export class CommandError extends VpcflowError {
  constructor(
    readonly program: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('DataplaneCommandFailed', `${program} ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().slice(0, 400)}`, 500);
  }
}

/** The data plane's state file cannot be read or does not describe this data plane. */
export class StateFileError extends VpcflowError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super('DataplaneStateFile', `${path}: ${reason}`, 500);
  }
}

/** The current process cannot change the kernel's network configuration (not root / no CAP_NET_ADMIN). */
export class NotPermittedError extends VpcflowError {
  constructor(reason: string) {
    super('DataplaneNotPermitted', `the data plane needs root (CAP_NET_ADMIN): ${reason}`, 403);
  }
}
