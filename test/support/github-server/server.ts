import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchOperation, validateRequest, validateResponse } from './openapi.js';

/**
 * Plays GitHub's REST API for one repository on 127.0.0.1, the way the action meets it: keeps
 * the review comments, reviews (a body updated in place), issue comments and statuses it is
 * sent, answers lists with pagination, and rejects what GitHub rejects (comments outside the diff with 422, writes with
 * a read-only token with 403, secondary rate limits with retry-after). Every request is
 * recorded and checked against GitHub's OpenAPI description.
 */

export interface RecordedRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  operationId?: string;
  authorization?: string;
  contractErrors: string[];
  /** When the request arrived (ms since the epoch): waits between requests are measured here. */
  at: number;
  /** The fault the server played instead of (or after) answering, if any. */
  fault?: Fault['kind'];
}

/**
 * A way GitHub (or what stands between it and the runner) misbehaves, played on the next
 * `times` requests that match. `before` faults answer instead of GitHub; `after` faults let
 * the request be processed and then lose or spoil the answer, as a 502 from the edge or a
 * dropped connection does.
 */
export interface Fault {
  /** An operationId such as `pulls/create-review`, or `*` for every request. */
  operation: string;
  /** How many matching requests it spoils; Infinity for all of them. Default 1. */
  times?: number;
  kind:
    | 'status' // answers `status` with GitHub's error body, `message` and `headers`
    | 'hang' // never answers
    | 'drop' // closes the connection without an answer
    | 'truncate' // answers the real status with the first half of the JSON body
    | 'html' // answers 200 with an HTML page, as a captive proxy does
    | 'shape'; // answers the real status with `body`: valid JSON of another shape
  /** For `shape`: the JSON answered instead of GitHub's. */
  body?: unknown;
  /** Processed first, then the answer is spoiled. */
  after?: boolean;
  status?: number;
  message?: string;
  headers?: Record<string, string>;
}

export interface PullRequestState {
  number: number;
  headSha: string;
  labels: string[];
  /** Whether GitHub would accept a review comment there: inside the pull request's diff. */
  commentable: (path: string, line: number, side: 'LEFT' | 'RIGHT') => boolean;
}

interface User {
  login: string;
  id: number;
  type: 'Bot' | 'User';
}

export interface ReviewComment {
  id: number;
  pullNumber: number;
  reviewId: number;
  path: string;
  line: number;
  startLine?: number;
  side: 'LEFT' | 'RIGHT';
  body: string;
  commitId: string;
  user: User;
  inReplyTo?: number;
  /** A later push changed its line: GitHub then answers it without a current `line`. */
  outdated?: boolean;
}

export interface Review {
  id: number;
  pullNumber: number;
  state: 'COMMENTED' | 'PENDING';
  body: string;
  commitId: string;
  user: User;
}

export interface IssueComment {
  id: number;
  issueNumber: number;
  body: string;
  user: User;
}

export interface CommitStatus {
  sha: string;
  state: string;
  context: string;
  description?: string;
  targetUrl?: string;
}

export interface GitHubServerOptions {
  owner: string;
  repo: string;
  /** Path prefix of the API, as on GitHub Enterprise Server (`/api/v3`). */
  prefix?: string;
  /** Who the token belongs to. */
  tokenUser?: User;
}

export const ACTIONS_BOT: User = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
export const HUMAN: User = { login: 'octocat', id: 583231, type: 'User' };

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export class GitHubServer {
  readonly requests: RecordedRequest[] = [];
  readonly pulls = new Map<number, PullRequestState>();
  readonly reviewComments: ReviewComment[] = [];
  readonly reviews: Review[] = [];
  readonly issueComments: IssueComment[] = [];
  readonly statuses: CommitStatus[] = [];
  /** `base...head` to the merge base the compare endpoint reports; unknown pairs answer 404. */
  readonly mergeBases = new Map<string, string>();
  /** Writes answer 403, as they do for a fork's read-only token. */
  readOnly = false;
  /** The next this-many requests answer a secondary rate limit with `retry-after: 1`. */
  secondaryLimits = 0;
  /** Faults still to play, in order of precedence. */
  readonly faults: Fault[] = [];
  private nextId = 1000;
  private server?: Server;
  private readonly prefix: string;
  private readonly tokenUser: User;

  constructor(readonly options: GitHubServerOptions) {
    this.prefix = options.prefix ?? '';
    this.tokenUser = options.tokenUser ?? ACTIONS_BOT;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('the server is not listening');
    return `http://127.0.0.1:${address.port}${this.prefix}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `test server failure: ${(err as Error).stack ?? String(err)}` }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Every departure from GitHub's description, over all recorded requests and responses. */
  contractErrors(): string[] {
    return this.requests.flatMap((r) => r.contractErrors.map((e) => `${r.method} ${r.pathname}: ${e}`));
  }

  /** Requests that changed something on GitHub and were accepted. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => WRITE_METHODS.has(r.method) && r.status < 300);
  }

  /** A pending review an earlier run left behind (its delete lost), holding one comment. */
  leavePendingReview(pullNumber: number, user: User = this.tokenUser): Review {
    const pr = this.pulls.get(pullNumber);
    if (!pr) throw new Error(`no pull request ${pullNumber}`);
    const review: Review = {
      id: this.nextId++,
      pullNumber,
      state: 'PENDING',
      body: '',
      commitId: pr.headSha,
      user,
    };
    this.reviews.push(review);
    return review;
  }

  /** A submitted review, as a person (or another run) wrote it, with its inline comments. */
  addReview(
    pullNumber: number,
    review: {
      body: string;
      user?: User;
      comments?: { path: string; line: number; side?: 'LEFT' | 'RIGHT'; body: string }[];
    },
  ): Review {
    const pr = this.pulls.get(pullNumber);
    if (!pr) throw new Error(`no pull request ${pullNumber}`);
    const user = review.user ?? this.tokenUser;
    const added: Review = {
      id: this.nextId++,
      pullNumber,
      state: 'COMMENTED',
      body: review.body,
      commitId: pr.headSha,
      user,
    };
    this.reviews.push(added);
    for (const c of review.comments ?? [])
      this.reviewComments.push({
        id: this.nextId++,
        pullNumber,
        reviewId: added.id,
        path: c.path,
        line: c.line,
        side: c.side ?? 'RIGHT',
        body: c.body,
        commitId: pr.headSha,
        user,
      });
    return added;
  }

  /** What GitHub does to the review comments on lines that a new push changed. */
  outdateReviewComments(pullNumber: number, which: (c: ReviewComment) => boolean = () => true): void {
    for (const c of this.reviewComments) if (c.pullNumber === pullNumber && which(c)) c.outdated = true;
  }

  /** An issue comment, as another run (or a person) wrote it. */
  addIssueComment(issueNumber: number, body: string, user: User = this.tokenUser): IssueComment {
    const comment: IssueComment = { id: this.nextId++, issueNumber, body, user };
    this.issueComments.push(comment);
    return comment;
  }

  /** Requests of one operation, in the order they arrived. */
  requestsOf(operationId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  /** A person answers a review comment: the action must then leave that thread alone. */
  reply(toCommentId: number, body: string, user: User = HUMAN): ReviewComment {
    const parent = this.reviewComments.find((c) => c.id === toCommentId);
    if (!parent) throw new Error(`no review comment ${toCommentId}`);
    const comment: ReviewComment = { ...parent, id: this.nextId++, body, user, inReplyTo: toCommentId };
    this.reviewComments.push(comment);
    return comment;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    let body: unknown;
    const contractErrors: string[] = [];
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        contractErrors.push('request body is not JSON');
      }
    }
    let pathname = url.pathname;
    if (this.prefix) {
      if (!pathname.startsWith(this.prefix + '/'))
        contractErrors.push(`request outside the API prefix ${this.prefix}`);
      pathname = pathname.slice(this.prefix.length);
    }
    contractErrors.push(...validateRequest({ method, pathname, query: url.searchParams, body }));
    const record: RecordedRequest = {
      method,
      pathname,
      query: url.searchParams,
      body,
      status: 0,
      operationId: matchOperation(method, pathname)?.operationId,
      authorization: req.headers.authorization,
      contractErrors,
      at: Date.now(),
    };
    this.requests.push(record);

    const fault = this.faults.find(
      (f) => (f.times ?? 1) > 0 && (f.operation === '*' || f.operation === record.operationId),
    );
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      record.fault = fault.kind;
    }
    const spoil = (status: number, json: string | undefined, headers: Record<string, string>): boolean => {
      if (!fault) return false;
      switch (fault.kind) {
        case 'hang':
          return true;
        case 'drop':
          res.socket?.destroy();
          return true;
        case 'truncate':
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
          res.end((json ?? '{}').slice(0, Math.floor((json ?? '{}').length / 2)));
          return true;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end('<!DOCTYPE html><html><body><h1>Sign in to the proxy</h1></body></html>');
          return true;
        case 'shape':
          res.writeHead(status || 200, { 'content-type': 'application/json; charset=utf-8', ...headers });
          res.end(JSON.stringify(fault.body ?? null));
          return true;
        case 'status': {
          const answer = fault.status ?? 502;
          record.status = answer;
          res.writeHead(answer, { 'content-type': 'application/json; charset=utf-8', ...fault.headers });
          res.end(
            JSON.stringify({
              message: fault.message ?? 'Server Error',
              documentation_url: 'https://docs.github.com/rest',
              status: String(answer),
            }),
          );
          return true;
        }
      }
    };
    if (fault && !fault.after) {
      record.status = 0;
      spoil(0, undefined, {});
      return;
    }

    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      const json = payload === undefined ? undefined : JSON.stringify(payload);
      if (status < 300) contractErrors.push(...validateResponse(method, pathname, status, payload));
      if (spoil(status, json, headers)) return;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(json);
    };
    const fail = (
      status: number,
      message: string,
      extra: Record<string, unknown> = {},
      headers: Record<string, string> = {},
    ) =>
      send(
        status,
        { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra },
        headers,
      );

    if (
      !req.headers.authorization?.startsWith('token ') &&
      !req.headers.authorization?.startsWith('Bearer ')
    ) {
      return fail(401, 'Requires authentication');
    }
    if (this.secondaryLimits > 0) {
      this.secondaryLimits--;
      return fail(
        403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        {},
        { 'retry-after': '1' },
      );
    }
    if (contractErrors.length && !record.operationId) return fail(404, 'Not Found');
    if (contractErrors.length) return fail(422, 'Validation Failed', { errors: contractErrors });
    if (this.readOnly && WRITE_METHODS.has(method))
      return fail(403, 'Resource not accessible by integration');

    const match = matchOperation(method, pathname)!;
    const { owner, repo } = match.params;
    if (owner !== this.options.owner || repo !== this.options.repo) return fail(404, 'Not Found');
    const p = match.params;
    const pull = (n: string | undefined) => this.pulls.get(Number(n));

    switch (match.operationId) {
      case 'repos/compare-commits-with-basehead': {
        const mergeBase = this.mergeBases.get(p.basehead!);
        if (!mergeBase) return fail(404, 'Not Found');
        const [, head] = p.basehead!.split('...');
        return send(200, this.comparison(mergeBase, head!));
      }
      case 'issues/list-labels-on-issue': {
        const pr = pull(p.issue_number);
        if (!pr) return fail(404, 'Not Found');
        return this.page(
          url,
          send,
          pr.labels.map((name, i) => this.label(name, i)),
        );
      }
      case 'issues/list-comments':
        if (!pull(p.issue_number)) return fail(404, 'Not Found');
        return this.page(
          url,
          send,
          this.issueComments
            .filter((c) => c.issueNumber === Number(p.issue_number))
            .map((c) => this.issueCommentJson(c)),
        );
      case 'issues/create-comment': {
        if (!pull(p.issue_number)) return fail(404, 'Not Found');
        const comment: IssueComment = {
          id: this.nextId++,
          issueNumber: Number(p.issue_number),
          body: (body as { body: string }).body,
          user: this.tokenUser,
        };
        this.issueComments.push(comment);
        return send(201, this.issueCommentJson(comment));
      }
      case 'issues/update-comment': {
        const comment = this.issueComments.find((c) => c.id === Number(p.comment_id));
        if (!comment) return fail(404, 'Not Found');
        comment.body = (body as { body: string }).body;
        return send(200, this.issueCommentJson(comment));
      }
      case 'issues/delete-comment': {
        const i = this.issueComments.findIndex((c) => c.id === Number(p.comment_id));
        if (i === -1) return fail(404, 'Not Found');
        this.issueComments.splice(i, 1);
        return send(204);
      }
      case 'pulls/list-review-comments': {
        if (!pull(p.pull_number)) return fail(404, 'Not Found');
        const visible = this.reviewComments.filter(
          (c) =>
            c.pullNumber === Number(p.pull_number) &&
            this.reviews.find((r) => r.id === c.reviewId)?.state !== 'PENDING',
        );
        return this.page(
          url,
          send,
          visible.map((c) => this.reviewCommentJson(c)),
        );
      }
      case 'pulls/delete-review-comment': {
        const i = this.reviewComments.findIndex((c) => c.id === Number(p.comment_id));
        if (i === -1) return fail(404, 'Not Found');
        this.reviewComments.splice(i, 1);
        return send(204);
      }
      case 'pulls/list-reviews':
        if (!pull(p.pull_number)) return fail(404, 'Not Found');
        // A pending review is listed to its author only.
        return this.page(
          url,
          send,
          this.reviews
            .filter(
              (r) =>
                r.pullNumber === Number(p.pull_number) &&
                (r.state !== 'PENDING' || r.user.id === this.tokenUser.id),
            )
            .map((r) => this.reviewJson(r)),
        );
      case 'pulls/create-review': {
        const pr = pull(p.pull_number);
        if (!pr) return fail(404, 'Not Found');
        const b = body as {
          commit_id?: string;
          body?: string;
          event?: string;
          comments?: {
            path: string;
            body: string;
            line?: number;
            side?: string;
            start_line?: number;
            start_side?: string;
          }[];
        };
        if (b.event && b.event !== 'COMMENT')
          return fail(422, `Unprocessable Entity: the action only posts COMMENT reviews, got ${b.event}`);
        if (b.event === 'COMMENT' && !b.body && !(b.comments ?? []).length)
          return fail(422, 'Unprocessable Entity', { errors: ['Review body is required'] });
        const pending = !b.event;
        // One pending review per user and pull request: with one there, GitHub refuses every review.
        if (
          this.reviews.some(
            (r) => r.pullNumber === pr.number && r.state === 'PENDING' && r.user.id === this.tokenUser.id,
          )
        ) {
          return fail(422, 'Unprocessable Entity', {
            errors: ['User can only have one pending review per pull request'],
          });
        }
        for (const c of b.comments ?? []) {
          const side = (c.side ?? 'RIGHT') as 'LEFT' | 'RIGHT';
          const lines = c.start_line !== undefined ? [c.start_line, c.line!] : [c.line!];
          if (
            c.line === undefined ||
            lines.some((l) => !pr.commentable(c.path, l, side)) ||
            (c.start_line !== undefined && c.start_line >= c.line)
          ) {
            return fail(422, 'Unprocessable Entity', { errors: ['Line could not be resolved'] });
          }
        }
        const review: Review = {
          id: this.nextId++,
          pullNumber: pr.number,
          state: pending ? 'PENDING' : 'COMMENTED',
          body: b.body ?? '',
          commitId: b.commit_id ?? pr.headSha,
          user: this.tokenUser,
        };
        this.reviews.push(review);
        for (const c of b.comments ?? []) {
          this.reviewComments.push({
            id: this.nextId++,
            pullNumber: pr.number,
            reviewId: review.id,
            path: c.path,
            line: c.line!,
            startLine: c.start_line,
            side: (c.side ?? 'RIGHT') as 'LEFT' | 'RIGHT',
            body: c.body,
            commitId: review.commitId,
            user: this.tokenUser,
          });
        }
        return send(200, this.reviewJson(review));
      }
      case 'pulls/update-review': {
        const review = this.reviews.find(
          (r) => r.id === Number(p.review_id) && r.pullNumber === Number(p.pull_number),
        );
        if (!review) return fail(404, 'Not Found');
        review.body = (body as { body: string }).body;
        return send(200, this.reviewJson(review));
      }
      case 'pulls/delete-pending-review': {
        const review = this.reviews.find((r) => r.id === Number(p.review_id));
        if (!review) return fail(404, 'Not Found');
        if (review.state !== 'PENDING')
          return fail(422, 'Unprocessable Entity', {
            errors: ['Can not delete a non-pending pull request review'],
          });
        this.reviews.splice(this.reviews.indexOf(review), 1);
        for (let i = this.reviewComments.length - 1; i >= 0; i--)
          if (this.reviewComments[i]!.reviewId === review.id) this.reviewComments.splice(i, 1);
        return send(200, this.reviewJson(review));
      }
      case 'repos/create-commit-status': {
        const b = body as { state: string; context?: string; description?: string; target_url?: string };
        const status: CommitStatus = {
          sha: p.sha!,
          state: b.state,
          context: b.context ?? 'default',
          description: b.description,
          targetUrl: b.target_url ?? undefined,
        };
        this.statuses.push(status);
        return send(201, {
          id: this.nextId++,
          state: status.state,
          context: status.context,
          description: status.description ?? null,
        });
      }
      default:
        return fail(404, 'Not Found');
    }
  }

  /** Answers a list one page at a time with GitHub's `link` header, as Octokit's paginate expects. */
  private page(
    url: URL,
    send: (status: number, payload: unknown, headers: Record<string, string>) => void,
    items: unknown[],
  ): void {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(url.toString().replace('http://127.0.0.1', this.url.replace(this.prefix, '')));
      next.searchParams.set('page', String(page + 1));
      next.searchParams.set('per_page', String(perPage));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    send(200, slice, headers);
  }

  private apiUrl(rest: string): string {
    return `https://api.github.com/repos/${this.options.owner}/${this.options.repo}${rest}`;
  }

  private htmlUrl(rest: string): string {
    return `https://github.com/${this.options.owner}/${this.options.repo}${rest}`;
  }

  private userJson(u: User): Record<string, unknown> {
    const api = `https://api.github.com/users/${encodeURIComponent(u.login)}`;
    return {
      login: u.login,
      id: u.id,
      node_id: `U_${u.id}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
      gravatar_id: '',
      url: api,
      html_url: `https://github.com/${encodeURIComponent(u.login)}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: u.type,
      site_admin: false,
    };
  }

  private label(name: string, i: number): Record<string, unknown> {
    return {
      id: 9000 + i,
      node_id: `LA_${i}`,
      url: this.apiUrl(`/labels/${encodeURIComponent(name)}`),
      name,
      description: null,
      color: 'ededed',
      default: false,
    };
  }

  private issueCommentJson(c: IssueComment): Record<string, unknown> {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: this.apiUrl(`/issues/comments/${c.id}`),
      html_url: this.htmlUrl(`/pull/${c.issueNumber}#issuecomment-${c.id}`),
      issue_url: this.apiUrl(`/issues/${c.issueNumber}`),
      body: c.body,
      user: this.userJson(c.user),
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      author_association: 'NONE',
    };
  }

  private reviewCommentJson(c: ReviewComment): Record<string, unknown> {
    const self = this.apiUrl(`/pulls/comments/${c.id}`);
    const html = this.htmlUrl(`/pull/${c.pullNumber}#discussion_r${c.id}`);
    const pr = this.apiUrl(`/pulls/${c.pullNumber}`);
    return {
      url: self,
      id: c.id,
      node_id: `PRRC_${c.id}`,
      pull_request_review_id: c.reviewId,
      diff_hunk: '@@ -1 +1 @@',
      path: c.path,
      commit_id: c.commitId,
      original_commit_id: c.commitId,
      in_reply_to_id: c.inReplyTo,
      user: this.userJson(c.user),
      body: c.body,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      html_url: html,
      pull_request_url: pr,
      author_association: c.user.type === 'Bot' ? 'NONE' : 'MEMBER',
      _links: { self: { href: self }, html: { href: html }, pull_request: { href: pr } },
      ...(c.outdated ? {} : { line: c.line }),
      original_line: c.line,
      side: c.side,
      start_line: c.startLine ?? null,
      start_side: c.startLine !== undefined ? c.side : null,
    };
  }

  private reviewJson(r: Review): Record<string, unknown> {
    return {
      id: r.id,
      node_id: `PRR_${r.id}`,
      user: this.userJson(r.user),
      body: r.body,
      state: r.state,
      commit_id: r.commitId,
      html_url: this.htmlUrl(`/pull/${r.pullNumber}#pullrequestreview-${r.id}`),
      pull_request_url: this.apiUrl(`/pulls/${r.pullNumber}`),
      _links: {
        html: { href: this.htmlUrl(`/pull/${r.pullNumber}#pullrequestreview-${r.id}`) },
        pull_request: { href: this.apiUrl(`/pulls/${r.pullNumber}`) },
      },
      author_association: 'NONE',
    };
  }

  private commitJson(sha: string): Record<string, unknown> {
    const person = { name: 'Test Author', email: 'author@example.com', date: '2026-01-01T00:00:00Z' };
    return {
      url: this.apiUrl(`/commits/${sha}`),
      sha,
      node_id: `C_${sha}`,
      html_url: this.htmlUrl(`/commit/${sha}`),
      comments_url: this.apiUrl(`/commits/${sha}/comments`),
      commit: {
        url: this.apiUrl(`/git/commits/${sha}`),
        author: person,
        committer: person,
        message: 'commit',
        comment_count: 0,
        tree: {
          sha: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
          url: this.apiUrl('/git/trees/4b825dc642cb6eb9a060e54bf8d69288fbee4904'),
        },
      },
      author: null,
      committer: null,
      parents: [],
    };
  }

  private comparison(mergeBase: string, head: string): Record<string, unknown> {
    return {
      url: this.apiUrl(`/compare/${mergeBase}...${head}`),
      html_url: this.htmlUrl(`/compare/${mergeBase}...${head}`),
      permalink_url: this.htmlUrl(`/compare/${mergeBase}...${head}`),
      diff_url: this.htmlUrl(`/compare/${mergeBase}...${head}.diff`),
      patch_url: this.htmlUrl(`/compare/${mergeBase}...${head}.patch`),
      base_commit: this.commitJson(mergeBase),
      merge_base_commit: this.commitJson(mergeBase),
      status: 'ahead',
      ahead_by: 1,
      behind_by: 0,
      total_commits: 1,
      commits: [this.commitJson(head)],
    };
  }
}
