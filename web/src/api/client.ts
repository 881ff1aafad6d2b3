/**
 * The one place that talks HTTP to the server. Every call goes to `/api/v1/...` on the same origin,
 * carries the current language, and sends the CSRF token on anything that changes state.
 * Failures become `ApiError`s whose `message` is always fit to show a person: the server's
 * localised message when it sent one, otherwise a generic localised text — never a raw body.
 */

export const API_BASE = '/api/v1';

export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly key: string | null;
  readonly fields: FieldErrors;
  /** What the server adds to some refusals (`error.details`: a distance, a wait, …). */
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}, key: string | null = null, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.key = key;
    this.details = details;
  }

  get hasFields(): boolean {
    return Object.keys(this.fields).length > 0;
  }
}

export type FallbackKind = 'network' | 'status';

export interface ClientHooks {
  /** Current UI language, sent as `Accept-Language`. */
  locale: () => string;
  /** CSRF token of the current browser session, if signed in. */
  csrfToken: () => string | null;
  /** Called when a request that needs a session answers 401. */
  onUnauthorized: () => void;
  /** A localised text for failures that carry no usable message. */
  fallbackMessage: (kind: FallbackKind, status: number) => string;
}

const defaultHooks: ClientHooks = {
  locale: () => 'zh-CN',
  csrfToken: () => null,
  onUnauthorized: () => {},
  fallbackMessage: (kind, status) => (kind === 'network' ? 'Network error' : `Request failed (${status})`),
};

let hooks: ClientHooks = { ...defaultHooks };

export function configureClient(partial: Partial<ClientHooks>): void {
  hooks = { ...hooks, ...partial };
}

/** Tells the application that the session ended (as a 401 does), e.g. when the server closed the socket for it. */
export function sessionEnded(): void {
  hooks.onUnauthorized();
}

export function resetClient(): void {
  hooks = { ...defaultHooks };
}

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** JSON body. */
  body?: unknown;
  /** Multipart body; the browser sets the boundary. */
  form?: FormData;
  /** Do not run the sign-in redirect on 401 (sign-in itself, the session probe). */
  allowUnauthorized?: boolean;
}

/** Builds `/api/v1/path?query`, dropping empty query values. */
export function apiUrl(path: string, query?: Query): string {
  const url = API_BASE + (path.startsWith('/') ? path : `/${path}`);
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

function isErrorBody(v: unknown): v is { error: { code?: unknown; message?: unknown; key?: unknown; fields?: unknown; details?: unknown } } {
  return typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'object' && (v as { error: unknown }).error !== null;
}

function toFields(v: unknown): FieldErrors {
  if (typeof v !== 'object' || v === null) return {};
  const out: FieldErrors = {};
  for (const [k, reason] of Object.entries(v as Record<string, unknown>)) {
    if (typeof reason === 'string') out[k] = reason;
    else if (reason != null) out[k] = String(reason);
  }
  return out;
}

/** Turns a failed response into an ApiError carrying a message fit for display. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown = null;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      body = await res.json();
    } catch {
      body = null;
    }
  }
  if (isErrorBody(body)) {
    const e = body.error;
    const code = typeof e.code === 'string' ? e.code : `http_${res.status}`;
    const message = typeof e.message === 'string' && e.message.trim() ? e.message : hooks.fallbackMessage('status', res.status);
    const key = typeof e.key === 'string' ? e.key : null;
    const details = typeof e.details === 'object' && e.details !== null && !Array.isArray(e.details) ? (e.details as Record<string, unknown>) : {};
    return new ApiError(res.status, code, message, toFields(e.fields), key, details);
  }
  return new ApiError(res.status, `http_${res.status}`, hooks.fallbackMessage('status', res.status));
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const upper = method.toUpperCase();
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': hooks.locale(),
  };
  let body: BodyInit | undefined;
  if (opts.form) {
    body = opts.form;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (upper !== 'GET' && upper !== 'HEAD') {
    const token = hooks.csrfToken();
    if (token) headers['X-CSRF-Token'] = token;
  }

  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), { method: upper, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', hooks.fallbackMessage('network', 0));
  }

  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (res.status === 401 && !opts.allowUnauthorized) hooks.onUnauthorized();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return undefined as T;
  return (await res.json()) as T;
}

/**
 * A multipart POST that reports upload progress (fetch cannot), with the same headers, CSRF token
 * and error mapping as `request`. `onProgress` receives 0…1.
 */
export function uploadWithProgress<T>(path: string, form: FormData, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(path));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', hooks.locale());
    const token = hooks.csrfToken();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.total ? e.loaded / e.total : 0);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', hooks.fallbackMessage('network', 0)));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', hooks.fallbackMessage('network', 0)));
    xhr.onload = async () => {
      const type = xhr.getResponseHeader('content-type') ?? '';
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(1);
        try {
          resolve((type.includes('json') && xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T);
        } catch {
          reject(new ApiError(xhr.status, `http_${xhr.status}`, hooks.fallbackMessage('status', xhr.status)));
        }
        return;
      }
      const err = await errorFromResponse(new Response(xhr.responseText, { status: xhr.status, headers: { 'content-type': type } }));
      if (xhr.status === 401) hooks.onUnauthorized();
      reject(err);
    };
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(form);
  });
}

export const http = {
  get: <T>(path: string, query?: Query, opts: Omit<RequestOptions, 'query'> = {}) => request<T>('GET', path, { ...opts, query }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) => request<T>('POST', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  del: <T = void>(path: string, body?: unknown) => request<T>('DELETE', path, { body }),
  upload: <T>(path: string, form: FormData) => request<T>('POST', path, { form }),
};
