// The archive as S3 lays it out: buckets, then one folder level at a time
// (AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/), files with their size, record count and
// write time; a file's first records previewed as a table (text and Parquet alike) and the file
// itself downloaded byte for byte. Everything comes from /v1/vpcflow/ListArchive,
// PreviewArchiveObject and GetArchiveObject (src/api/archive-routes.ts); bucket, folder and the
// previewed file live in the URL.

import { useEffect, useState } from 'preact/hooks';
import { call, download } from '../api.ts';
import { route, setParams } from '../router.ts';
import { AsyncView, Empty, ErrorBox, Link, Loading, formatBytes, formatNumber, formatTime, useAsync } from '../components/ui.tsx';
import { cellClass, NUMERIC_FIELDS } from '../components/record-columns.ts';
import './archive.css';

interface BucketEntry {
  Name: string;
  Objects?: number;
  Records?: number;
  Owned?: boolean;
  Owner?: string | null;
}

interface FolderEntry {
  Prefix: string;
  Objects: number;
  Records: number;
}

interface ObjectEntry {
  Key: string;
  Size: number | null;
  Records: number;
  FlowLogId: string;
  WrittenAt: number | string;
}

interface Level {
  Bucket: string;
  Prefix: string;
  Folders: FolderEntry[];
  Objects: ObjectEntry[];
  NextToken?: string;
}

interface Preview {
  Format: string;
  Header: string[];
  Records: string[][];
  TotalRecords: number;
  Problems?: number;
}

const PREVIEW_ROWS = 50;

const whenText = (v: number | string | null | undefined): string => formatTime(typeof v === 'string' ? Date.parse(v) : v);
/** The last segment of a key or folder prefix ('2026/' → '2026/'). */
const leaf = (path: string): string => {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const name = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return path.endsWith('/') ? `${name}/` : name;
};

export function Archive() {
  const params = route.value.params;
  const bucket = params.get('bucket') ?? '';
  const prefix = params.get('prefix') ?? '';
  const preview = params.get('preview') ?? '';
  return (
    <section>
      <h1 tabIndex={-1}>Archive</h1>
      <p class="lede">Flow log files delivered to S3 destinations, in AWS's key layout: gzip text with a header line, or Parquet.</p>
      <Breadcrumbs bucket={bucket} prefix={prefix} />
      {bucket ? <FolderView key={`${bucket}/${prefix}`} bucket={bucket} prefix={prefix} preview={preview} /> : <BucketList />}
    </section>
  );
}

function Breadcrumbs({ bucket, prefix }: { bucket: string; prefix: string }) {
  const parts = prefix.split('/').filter(Boolean);
  const crumbs: { label: string; params: Record<string, string> }[] = [{ label: 'Buckets', params: {} }];
  if (bucket) {
    crumbs.push({ label: bucket, params: { bucket } });
    let p = '';
    for (const part of parts) {
      p += `${part}/`;
      crumbs.push({ label: part, params: { bucket, prefix: p } });
    }
  }
  return (
    <nav aria-label="Archive location" class="archive-crumbs">
      <ol>
        {crumbs.map((c, i) => (
          <li>{i === crumbs.length - 1 ? <span aria-current="location">{c.label}</span> : <Link to={['archive']} params={c.params}>{c.label}</Link>}</li>
        ))}
      </ol>
    </nav>
  );
}

function BucketList() {
  const value = useAsync((signal) => call<{ Buckets: BucketEntry[]; NextToken?: string }>('/v1/vpcflow/ListArchive', {}, { signal }), []);
  return (
    <AsyncView value={value} label="Listing archive buckets">
      {(r) => r.Buckets.length === 0 ? (
        <Empty>No archive buckets yet — <Link to={['flow-logs']}>create a flow log to Amazon S3</Link>; its files appear here once a 5-minute period of records is complete.</Empty>
      ) : (
        <section class="table-panel" aria-label="Buckets">
          <div class="table-toolbar"><h2>Buckets <span class="count">({r.Buckets.length}{r.NextToken ? '+' : ''})</span></h2></div>
          <div class="table-scroll">
            <table>
              <thead><tr><th scope="col">Bucket</th><th scope="col" class="num">Files</th><th scope="col" class="num">Records</th><th scope="col">Owner</th></tr></thead>
              <tbody>
                {r.Buckets.map((b) => (
                  <tr key={b.Name}>
                    <td><Link to={['archive']} params={{ bucket: b.Name }}>{b.Name}</Link></td>
                    <td class="num">{formatNumber(b.Objects)}</td>
                    <td class="num">{formatNumber(b.Records)}</td>
                    <td>{b.Owner !== undefined ? (b.Owner ?? 'no owner') : b.Owned ? 'you' : 'another account (you deliver into it)'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </AsyncView>
  );
}

function FolderView({ bucket, prefix, preview }: { bucket: string; prefix: string; preview: string }) {
  const [state, setState] = useState<{ level?: Level; error?: unknown; loading: boolean }>({ loading: true });
  const [more, setMore] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(undefined);
  const [downloading, setDownloading] = useState('');
  const list = (nextToken?: string, signal?: AbortSignal) => call<Level>('/v1/vpcflow/ListArchive', { Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}), ...(nextToken ? { NextToken: nextToken } : {}) }, signal ? { signal } : {});
  useEffect(() => {
    const ac = new AbortController();
    list(undefined, ac.signal).then(
      (level) => !ac.signal.aborted && setState({ level, loading: false }),
      (error) => !ac.signal.aborted && setState({ error, loading: false }),
    );
    return () => ac.abort();
  }, [bucket, prefix]);

  const loadMore = async () => {
    const token = state.level?.NextToken;
    if (!token) return;
    setMore(true);
    try {
      const next = await list(token);
      setState((s) => (s.level ? { loading: false, level: { ...next, Folders: [...s.level.Folders, ...next.Folders], Objects: [...s.level.Objects, ...next.Objects] } } : s));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    } finally {
      setMore(false);
    }
  };

  const save = async (key: string) => {
    setDownloadError(undefined);
    setDownloading(key);
    try {
      const { blob, filename } = await download('/v1/vpcflow/GetArchiveObject', { Bucket: bucket, Key: key });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      // The click has handed the blob to the download; the URL is no longer needed after this turn.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setDownloadError(e);
    } finally {
      setDownloading('');
    }
  };

  if (state.loading) return <Loading label="Listing the folder" />;
  if (!state.level) return <ErrorBox error={state.error} title={`s3://${bucket}/${prefix} could not be listed`} />;
  const { Folders: folders, Objects: objects } = state.level;
  const up = prefix ? prefix.slice(0, prefix.slice(0, -1).lastIndexOf('/') + 1) : undefined;
  return (
    <>
      <ErrorBox error={state.error} />
      {downloadError !== undefined && <ErrorBox error={downloadError} title="The file could not be downloaded" />}
      {folders.length === 0 && objects.length === 0 ? (
        <Empty>Nothing of yours is in s3://{bucket}/{prefix} yet: files appear when a flow log to this bucket has delivered a 5-minute period of records.</Empty>
      ) : (
        <section class="table-panel" aria-label="Folder contents">
          <div class="table-toolbar">
            <h2 class="mono-path">s3://{bucket}/{prefix} <span class="count">({folders.length} folders, {objects.length} files{state.level.NextToken ? ', more' : ''})</span></h2>
            {up !== undefined && <Link class="button" to={['archive']} params={{ bucket, ...(up ? { prefix: up } : {}) }}>Up one level</Link>}
          </div>
          <div class="table-scroll">
            <table>
              <thead>
                <tr><th scope="col">Name</th><th scope="col" class="num">Size</th><th scope="col" class="num">Records</th><th scope="col">Flow log</th><th scope="col">Written</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {folders.map((f) => (
                  <tr key={f.Prefix} class="folder">
                    <td><Link to={['archive']} params={{ bucket, prefix: f.Prefix }}><span aria-hidden="true" class="folder-icon">▸ </span>{leaf(f.Prefix)}</Link></td>
                    <td class="num" title={`${formatNumber(f.Objects)} files`}>{formatNumber(f.Objects)} file{f.Objects === 1 ? '' : 's'}</td>
                    <td class="num">{formatNumber(f.Records)}</td>
                    <td>–</td>
                    <td>–</td>
                    <td />
                  </tr>
                ))}
                {objects.map((o) => (
                  <tr key={o.Key} class={o.Key === preview ? 'selected' : undefined}>
                    <td class="wrap mono file-name">{leaf(o.Key)}</td>
                    <td class="num" title={o.Size === null ? 'the object store no longer holds this file' : `${formatNumber(o.Size)} bytes`}>{o.Size === null ? 'missing' : formatBytes(o.Size)}</td>
                    <td class="num">{formatNumber(o.Records)}</td>
                    <td class="mono">{o.FlowLogId}</td>
                    <td>{whenText(o.WrittenAt)}</td>
                    <td>
                      <div class="actions">
                      <button type="button" aria-pressed={o.Key === preview} onClick={() => setParams({ preview: o.Key === preview ? undefined : o.Key })}>Preview</button>
                      <button type="button" onClick={() => void save(o.Key)} disabled={downloading === o.Key}>{downloading === o.Key ? 'Downloading…' : 'Download'}</button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {state.level.NextToken && <div class="more"><button type="button" onClick={() => void loadMore()} disabled={more}>{more ? 'Loading…' : 'Load more'}</button></div>}
        </section>
      )}
      {preview && <FilePreview key={preview} bucket={bucket} objectKey={preview} />}
    </>
  );
}

function FilePreview({ bucket, objectKey }: { bucket: string; objectKey: string }) {
  const value = useAsync((signal) => call<Preview>('/v1/vpcflow/PreviewArchiveObject', { Bucket: bucket, Key: objectKey, Limit: PREVIEW_ROWS }, { signal }), [bucket, objectKey]);
  return (
    <section class="table-panel preview" aria-label="File preview">
      <div class="table-toolbar">
        <h2>Preview of <span class="mono wrap-name">{leaf(objectKey)}</span></h2>
        <button type="button" onClick={() => setParams({ preview: undefined })}>Close preview</button>
      </div>
      {value.error ? <div class="preview-body"><ErrorBox error={value.error} title="The file could not be previewed" /></div> : !value.data ? <Loading label="Reading the file" /> : (
        <>
          <p class="preview-note">
            {value.data.Format === 'parquet' ? 'Parquet' : 'Gzip text'} · showing {formatNumber(value.data.Records.length)} of {formatNumber(value.data.TotalRecords)} records
            {value.data.Problems ? ` · ${formatNumber(value.data.Problems)} unreadable lines skipped` : ''}
          </p>
          {value.data.Records.length === 0 ? <Empty>The file holds no records.</Empty> : (
            <div class="table-scroll">
              <table>
                <thead><tr>{value.data.Header.map((h) => <th scope="col" class={NUMERIC_FIELDS.has(h) ? 'num' : undefined}>{h}</th>)}</tr></thead>
                <tbody>
                  {value.data.Records.map((r, i) => (
                    <tr key={i}>{r.map((v, j) => {
                      const name = value.data!.Header[j] ?? '';
                      const cls = [cellClass(name, v), NUMERIC_FIELDS.has(name) ? 'num' : ''].filter(Boolean).join(' ');
                      return <td class={cls || undefined}>{v}</td>;
                    })}</tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

