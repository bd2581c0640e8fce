// Entry point: restores the session (the cookie, if any, is the server's to judge), then renders.
import './styles.css';
import { render } from 'preact';
import { App } from './app.tsx';
import { restoreSession } from './api.ts';

void restoreSession();
render(<App />, document.getElementById('app')!);
