export function LogGroups() {
  return <h1 tabIndex={-1}>Log groups</h1>;
}
export function LogGroup({ name }: { name: string }) {
  return <h1 tabIndex={-1}>{name}</h1>;
}
export function LogStream({ group, stream }: { group: string; stream: string }) {
  return <h1 tabIndex={-1}>{group} {stream}</h1>;
}
export function LiveTail({ group }: { group: string }) {
  return <h1 tabIndex={-1}>Live tail {group}</h1>;
}
