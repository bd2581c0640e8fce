export function NetworkMap() {
  return <h1 tabIndex={-1}>NetworkMap</h1>;
}
