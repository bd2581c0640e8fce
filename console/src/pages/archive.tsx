export function Archive() {
  return <h1 tabIndex={-1}>Archive</h1>;
}
