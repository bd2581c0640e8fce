export function Rejected() {
  return <h1 tabIndex={-1}>Rejected</h1>;
}
