// Sign in with an access key. The secret goes to the server once, in a POST body, and is kept
// nowhere in the page (the form is cleared, nothing is stored).

import { useState } from 'preact/hooks';
import { signIn } from '../api.ts';
import { ErrorBox, Field } from '../components/ui.tsx';

export function SignIn() {
  const [keyId, setKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(keyId.trim(), secret);
      setSecret('');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <form class="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to vpcflow</h1>
        <p>Use an account's access key (<code>vpcflow accounts create --account ID</code>) or the operator key
          (<code>DATA_DIR/keys/operator.json</code> on the server's host), which can look at every account.</p>
        <Field label="Access key ID">
          {(p) => <input {...p} autocomplete="username" spellcheck={false} required value={keyId} onInput={(e) => setKeyId((e.target as HTMLInputElement).value)} />}
        </Field>
        <Field label="Secret access key">
          {(p) => <input {...p} type="password" autocomplete="current-password" required value={secret} onInput={(e) => setSecret((e.target as HTMLInputElement).value)} />}
        </Field>
        <ErrorBox error={error} title="Sign-in failed" />
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        <p class="hint">The session ends after an idle hour, after 8 hours, or when you sign out. The secret is never stored in the browser.</p>
      </form>
    </main>
  );
}
