// The control plane: networks and flow logs per account, and the ingest path that turns a capture
// into delivered records (decode → aggregate → route → deliver), and the live path that realizes a
// network on this host and logs its real traffic.
export * from './control-plane.ts';
export { LiveNetwork, LiveNetworkError, type LiveDelivery, type LiveNetworkOptions } from './live.ts';
