export function FlowLogList() {
  return <h1 tabIndex={-1}>Flow logs</h1>;
}
export function CreateFlowLog() {
  return <h1 tabIndex={-1}>Create flow log</h1>;
}
