// A small client of the native REST API (docs/api/rest.md) for preparing data and checking
// results where the user interface is not what a test is about. It signs in like the browser
// does: session cookie plus the X-CSRF-Token header on every request that changes state.

const REQUEST_TIMEOUT = 30_000;

export class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} → ${status}: ${JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/** Signs in as `account` and returns a client bound to that session. */
export async function apiLogin(server, account, password) {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ corp_id: server.corpId ?? undefined, account, password }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError('POST', '/auth/login', res.status, body);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return new Api(server.url, cookie, body.csrf_token, body);
}

export class Api {
  constructor(base, cookie, csrf, login) {
    this.base = base;
    this.cookie = cookie;
    this.csrf = csrf;
    this.login = login;
  }

  async request(method, path, body) {
    const headers = { Accept: 'application/json', Cookie: this.cookie };
    if (method !== 'GET') headers['X-CSRF-Token'] = this.csrf;
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.base}/api/v1${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(REQUEST_TIMEOUT) });
    const type = res.headers.get('content-type') ?? '';
    const data = type.includes('json') ? await res.json() : null;
    if (!res.ok) throw new ApiError(method, path, res.status, data);
    return data;
  }

  get(path) {
    return this.request('GET', path);
  }
  post(path, body) {
    return this.request('POST', path, body ?? {});
  }
  put(path, body) {
    return this.request('PUT', path, body);
  }
  patch(path, body) {
    return this.request('PATCH', path, body);
  }

  async createDepartment(name, parentId) {
    return (await this.post('/admin/departments', { name, parent_id: parentId })).department;
  }

  /** Creates a member with a known initial password (they must change it at first sign-in). */
  async createMember(userid, name, departmentIds, initialPassword, extra = {}) {
    return (await this.post('/admin/members', { userid, name, department_ids: departmentIds, initial_password: initialPassword, ...extra })).member;
  }

  async member(userid) {
    return (await this.get(`/admin/members/${encodeURIComponent(userid)}`)).member;
  }

  async departments() {
    return (await this.get('/admin/departments')).items;
  }
}
