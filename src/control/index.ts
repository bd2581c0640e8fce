// The control plane: networks and flow logs per account, and the ingest path that turns a capture
// into delivered records (decode → aggregate → route → deliver).
export * from './control-plane.ts';
