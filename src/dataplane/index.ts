// The data plane: realizes a network model on the Linux kernel (a namespace per VPC as its router,
// a namespace per instance, a veth pair per interface), enforces its security groups and network
// ACLs with one nftables ruleset per VPC, and observes every verdict through NFLOG.
export { AcceptCounters, CounterFormatError, type CountedFlow, parseCounterSet } from './accept-counters.ts';
export { CommandError, NameConflictError, NotPermittedError, StateFileError, UnsafeValueError } from './errors.ts';
export { type CommandResult, type CommandRunner, type RunOptions, execRunner } from './exec.ts';
export {
  DEFAULT_PREFIX, MAX_LINK_NAME, type DataplaneNames, type InterfaceNames, type NamingOptions, type RecordedNames,
  checkPrefix, macOfInterface, planNames, randomTestPrefix,
} from './names.ts';
export {
  ACCEPT_COUNTER_SETS, ACCEPT_PREFIX, COUNTER_TABLE_NAME, DEFAULT_NFLOG_GROUP, DEFAULT_QUEUE_THRESHOLD, DEFAULT_SNAPLEN, INVALID_PREFIX, TABLE_NAME,
  type CompileOptions, type CompiledRuleset, type DropLayer, type DropRule, type DropSide,
  compileRuleset, describePrefix,
} from './nft-compile.ts';
export { type DataplaneState, type RecordedInstance, type RecordedInterface, type RecordedVpc, readState } from './state.ts';
export {
  IPV6_ROUTER, type DownResult, type ReconcileOptions, type ReconcileResult, type RealizedInterface, type RealizedVpc,
  down, instanceExecArgs, instanceNamespace, reconcile,
} from './realize.ts';
export {
  type DropSideOrNone, type LossReport, type Observation, type ObserverCounters, type ObserverOptions,
  NflogObserver, countLoggedPackets,
} from './observe.ts';
