// The console's frame: sign-in gate, header (account, session, sign out), navigation and the
// page for the current route. Pages live in pages/, one module per area.

import { useEffect } from 'preact/hooks';
import { session, setViewAccount, signOut, viewAccount, call } from './api.ts';
import { route, href } from './router.ts';
import { Loading, useAsync, formatTime } from './components/ui.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { Home } from './pages/home.tsx';
import { RESOURCE_KINDS, ResourceDetail, ResourceList, type ResourceKind } from './pages/resources.tsx';
import { CreateFlowLog, FlowLogList } from './pages/flow-logs.tsx';
import { LiveTail, LogGroup, LogGroups, LogStream } from './pages/log-groups.tsx';
import { Archive } from './pages/archive.tsx';
import { Traffic } from './pages/traffic.tsx';
import { Rejected } from './pages/rejected.tsx';
import { NetworkMap } from './pages/map.tsx';

const NAV: { title: string; items: { label: string; path: string }[] }[] = [
  { title: 'Network', items: [
    { label: 'VPCs', path: 'vpcs' }, { label: 'Subnets', path: 'subnets' }, { label: 'Network interfaces', path: 'network-interfaces' },
    { label: 'Instances', path: 'instances' }, { label: 'Security groups', path: 'security-groups' }, { label: 'Network ACLs', path: 'network-acls' },
  ] },
  { title: 'Flow logs', items: [{ label: 'Flow logs', path: 'flow-logs' }, { label: 'Log groups', path: 'log-groups' }, { label: 'Archive', path: 'archive' }] },
  { title: 'Answers', items: [{ label: 'Traffic', path: 'traffic' }, { label: 'Rejected', path: 'rejected' }, { label: 'Map', path: 'map' }] },
];

function Page() {
  const { path } = route.value;
  const [area, id, sub, subId] = path;
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
  }, [path.join('/')]);
  if (!area) return <Home />;
  if ((RESOURCE_KINDS as readonly string[]).includes(area)) {
    return id ? <ResourceDetail kind={area as ResourceKind} id={id} tab={sub ?? 'details'} /> : <ResourceList kind={area as ResourceKind} />;
  }
  switch (area) {
    case 'flow-logs':
      return id === 'create' ? <CreateFlowLog /> : <FlowLogList />;
    case 'log-groups':
      if (!id) return <LogGroups />;
      if (sub === 'streams' && subId) return <LogStream group={id} stream={subId} />;
      if (sub === 'tail') return <LiveTail group={id} />;
      return <LogGroup name={id} />;
    case 'archive':
      return <Archive />;
    case 'traffic':
      return <Traffic />;
    case 'rejected':
      return <Rejected />;
    case 'map':
      return <NetworkMap />;
    default:
      return (
        <section>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>There is no console page at “{path.join('/')}”. <a href="#/">Go to the start page</a>.</p>
        </section>
      );
  }
}

function AccountSwitcher() {
  const accounts = useAsync(() => call<{ Accounts: { AccountId: string; HasNetwork?: boolean }[] }>('/v1/vpcflow/ListAccounts', {}, { account: false }), []);
  // With one account holding a network, the operator looks at it unless another is chosen.
  const withNetwork = (accounts.data?.Accounts ?? []).filter((a) => a.HasNetwork);
  useEffect(() => {
    if (!viewAccount.value && withNetwork.length > 1) setViewAccount(withNetwork[0]!.AccountId);
  }, [withNetwork.length]);
  const ids = new Set((accounts.data?.Accounts ?? []).map((a) => a.AccountId));
  if (viewAccount.value) ids.add(viewAccount.value);
  return (
    <label class="account-switch">
      Account
      <select value={viewAccount.value} onChange={(e) => setViewAccount((e.target as HTMLSelectElement).value)}>
        <option value="">Default (the only account with a network)</option>
        {[...ids].sort().map((a) => <option value={a}>{a}</option>)}
      </select>
    </label>
  );
}

export function App() {
  const s = session.value;
  if (s === undefined) return <Loading label="Opening the console" />;
  if (s === null) return <SignIn />;
  const current = route.value.path[0] ?? '';
  return (
    <div class="shell">
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <a class="brand" href="#/">vpcflow</a>
        <div class="topbar-right">
          {s.Caller.Kind === 'operator' ? <AccountSwitcher /> : <span class="who">Account {s.Caller.AccountId}</span>}
          <span class="who" title={`session ends by ${formatTime(s.ExpiresAt)}`}>{s.Caller.Kind === 'operator' ? 'Operator' : 'Signed in'} · {s.AccessKeyId}</span>
          <button type="button" onClick={() => void signOut()}>Sign out</button>
        </div>
      </header>
      <nav class="sidebar" aria-label="Console">
        {NAV.map((g) => (
          <div class="nav-group">
            <div class="nav-title">{g.title}</div>
            <ul>
              {g.items.map((i) => (
                <li><a href={href([i.path])} aria-current={current === i.path ? 'page' : undefined}>{i.label}</a></li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" key={viewAccount.value}>
        <Page />
      </main>
    </div>
  );
}
