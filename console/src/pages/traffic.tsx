export function Traffic() {
  return <h1 tabIndex={-1}>Traffic</h1>;
}
