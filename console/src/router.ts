// Hash routes: the whole view (page, resource, every filter and range) lives in the URL after '#',
// so a view can be shared and reloaded. '#/traffic?start=-1h&filter=…' → path ['traffic'], params.

import { signal } from '@preact/signals';

export interface Route {
  path: string[];
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const q = text.indexOf('?');
  const pathText = q >= 0 ? text.slice(0, q) : text;
  const path = pathText.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { path, params: new URLSearchParams(q >= 0 ? text.slice(q + 1) : '') };
}

export const route = signal<Route>(parse(location.hash));
addEventListener('hashchange', () => {
  route.value = parse(location.hash);
});

/** The href of a console page: segments are encoded (log group names hold slashes). */
export function href(path: (string | number)[], params?: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return `#/${path.map((s) => encodeURIComponent(String(s))).join('/')}${qs ? `?${qs}` : ''}`;
}

export function navigate(path: (string | number)[], params?: Record<string, string | number | undefined | null>, replace = false): void {
  const target = href(path, params);
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  route.value = parse(target);
}

/** Replaces the current view's params in the URL (no new history entry). */
export function setParams(params: Record<string, string | number | undefined | null>): void {
  navigate(route.value.path, { ...Object.fromEntries(route.value.params), ...params }, true);
}
