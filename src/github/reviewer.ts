import type { Finding, Report } from '../report/finding.js';
import {
  codeSpan,
  escapeMarkdown,
  fingerprintMarker,
  parseFingerprintMarker,
  renderFindingComment,
  renderMarkdownSummary,
} from '../report/markdown.js';
import { coversRightLines, placeOnDiff, type CommentPlacement, type DiffMap } from './hunks.js';
import {
  describeApiFailure,
  httpStatus,
  isApiFailure,
  isUnclearFailure,
  UnreadableAnswer,
  type GitHubClient,
} from './client.js';

/** More inline comments than this in one review trips GitHub's abuse detection. */
export const MAX_INLINE_COMMENTS = 30;
/** Room left under GitHub's 65,536-character comment limit for the sticky comment's own lines. */
const STICKY_SUMMARY_MAX_BYTES = 60_000;
const REVIEW_BODY_MAX_CHARS = 65_000;

export interface PullRequestTarget {
  owner: string;
  repo: string;
  pullNumber: number;
  headSha: string;
}

export interface PublishOptions {
  mode: 'review' | 'summary';
  ruleDocsUrl?: string;
  /** Tells this check's sticky comment apart from another catalog's on the same pull request. */
  summaryKey: string;
  /**
   * Which marked review comments are this report's (default: all). With several catalogs on one
   * pull request, each catalog's run must leave the others' comments alone: `scopedToCatalog`.
   */
  owns?: (fingerprint: string) => boolean;
}

/**
 * One catalog's report among several on one pull request: its findings' markers name the
 * catalog (`qemu-x86:.::<fingerprint>`), and it owns only the comments marked with its own key,
 * so that publishing one catalog never deletes another's comments as findings gone. Comments
 * marked without a key (a configuration with one catalog) belong to the first catalog.
 */
export function scopedToCatalog(
  report: Report,
  key: string,
  keys: readonly string[],
): { report: Report; owns: (fingerprint: string) => boolean } {
  const keyOf = (fingerprint: string): string | undefined =>
    keys.find((k) => fingerprint.startsWith(`${k}::`));
  return {
    report: {
      ...report,
      findings: report.findings.map((f) => ({ ...f, fingerprint: `${key}::${f.fingerprint}` })),
    },
    owns: (fingerprint) => (keyOf(fingerprint) ?? keys[0]) === key,
  };
}

/** What the run did on the pull request, for the log and the tests. */
export interface PublishOutcome {
  readOnly: boolean;
  inlineComments: number;
  bodyFindings: number;
  /** Comments GitHub refused (outside its view of the diff) and that went into the review body. */
  movedToBody: number;
  deletedComments: number;
  /** Comments of findings that went away but that a person answered: left in place. */
  keptWithReplies: { fingerprint: string; url: string }[];
  summaryComment?: 'created' | 'updated' | 'unchanged';
  /** Summary comments of this check found more than once (overlapping runs) and deleted. */
  deletedDuplicates: number;
  /**
   * Reviews that repeated an earlier one at the same head (overlapping runs) and whose body now
   * points to it: GitHub cannot delete a submitted review.
   */
  supersededReviews: number;
  /** Why publishing stopped early, when GitHub could not be used: the line the log shows. */
  failure?: string;
  /** The HTTP status of that failure, when GitHub answered one. */
  failureStatus?: number;
}

/** Writing with a read-only token (a fork's pull request): nothing more is attempted. */
export class ReadOnlyToken extends Error {
  constructor(readonly operation: string) {
    super(`the token cannot write to this repository (${operation} answered 403)`);
  }
}

interface ReviewCommentInput {
  path: string;
  body: string;
  line: number;
  side: 'LEFT' | 'RIGHT';
  start_line?: number;
  start_side?: 'LEFT' | 'RIGHT';
}

interface Placed {
  finding: Finding;
  comment: ReviewCommentInput;
}

/** A review as GitHub lists it, the fields the reviewer reads. */
interface ListedReview {
  id: number;
  body: string;
  state: string;
  commit_id: string | null;
  html_url: string;
  user: { login: string } | null;
}

/** A review comment that carries a finding's fingerprint. */
interface OurComment {
  comment: {
    id: number;
    pull_request_review_id: number | null;
    html_url: string;
    user: { login: string } | null;
  };
  fingerprint: string;
}

/** What the review step leaves for after the summary comment: the repeats of overlapping runs. */
interface Repeats {
  reviews: ListedReview[];
  ours: OurComment[];
  /** Second comments of a finding, to be deleted. */
  duplicates: OurComment[];
  /** Comments deleted because their finding went away or moved. */
  deleted: Set<number>;
}

/** A review comment left on a line that a later push changed: GitHub gives it no current line. */
function isOutdated(comment: { line?: number | null }): boolean {
  return comment.line === null || comment.line === undefined;
}

/** What became of a creating request's answer, for the log. */
function lostAnswer(err: unknown): string {
  const status = httpStatus(err);
  if (err instanceof UnreadableAnswer) return `status ${err.answeredStatus}, not JSON`;
  if (status !== undefined && (err as { response?: unknown }).response) return `status ${status}`;
  return 'no answer';
}

/** A 422 whose `errors[]` says the token already has a pending review on the pull request. */
function pendingReviewRefusal(err: unknown): boolean {
  const data = (err as { response?: { data?: { errors?: unknown } } }).response?.data;
  const errors = Array.isArray(data?.errors) ? data.errors : [];
  return errors.some((e) => /pending review/i.test(typeof e === 'string' ? e : JSON.stringify(e)));
}

/** Every fingerprint marker in a text, one per line as the review body writes them. */
export function fingerprintsIn(body: string): Set<string> {
  const found = new Set<string>();
  for (const line of body.split('\n')) {
    const fp = parseFingerprintMarker(line);
    if (fp !== undefined) found.add(fp);
  }
  return found;
}

function stickyMarker(key: string): string {
  return `<!-- cpu-model-guard:summary ${encodeURIComponent(key).replace(/-/g, '%2D')} -->`;
}

/**
 * Where a finding's comment goes. A mechanical fix is offered as a suggestion only when the
 * lines it replaces are all commentable: GitHub applies a suggestion to exactly the commented
 * lines, so the comment is then placed on them.
 */
export function placeFinding(
  map: DiffMap,
  finding: Finding,
): { placement?: CommentPlacement; keepSuggestion: boolean } {
  const s = finding.suggestion;
  if (s && coversRightLines(map, s.path, s.startLine, s.endLine)) {
    return {
      placement:
        s.startLine === s.endLine
          ? { path: s.path, line: s.endLine, side: 'RIGHT' }
          : { path: s.path, line: s.endLine, side: 'RIGHT', startLine: s.startLine },
      keepSuggestion: true,
    };
  }
  return { placement: placeOnDiff(map, finding.location), keepSuggestion: false };
}

function bodyLine(f: Finding, ruleDocsUrl: string | undefined): string {
  const rule = ruleDocsUrl ? `[${f.rule}](${ruleDocsUrl}#${f.rule})` : codeSpan(f.rule);
  const where = codeSpan(
    `${f.location.path}:${f.location.line}${f.location.side === 'LEFT' ? ' (base)' : ''}`,
  );
  const waived = f.verdict === 'waived' ? ' (waived)' : '';
  return `- **${f.class}**${waived} ${rule} at ${where}: ${escapeMarkdown(f.title)}. Fix: ${escapeMarkdown(f.fix)} ${fingerprintMarker(f.fingerprint)}`;
}

/**
 * Posts what a reviewer sees on a pull request: one review per run with inline comments on
 * the diff, and one sticky summary comment. Runs are idempotent: each comment carries its
 * finding's fingerprint, and a finding already commented on is not commented again.
 */
export class Reviewer {
  constructor(
    private readonly client: GitHubClient,
    private readonly target: PullRequestTarget,
    private readonly log: (message: string) => void,
  ) {}

  /** Labels as they are now: the event payload holds those of when the run was queued. */
  async liveLabels(): Promise<string[]> {
    const labels = await this.client.paginate(this.client.rest.issues.listLabelsOnIssue, {
      owner: this.target.owner,
      repo: this.target.repo,
      issue_number: this.target.pullNumber,
      per_page: 100,
    });
    return labels.map((l) => l.name);
  }

  private async write<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (httpStatus(err) === 403) throw new ReadOnlyToken(operation);
      throw err;
    }
  }

  async publish(report: Report, diff: DiffMap, options: PublishOptions): Promise<PublishOutcome> {
    const outcome: PublishOutcome = {
      readOnly: false,
      inlineComments: 0,
      bodyFindings: 0,
      movedToBody: 0,
      deletedComments: 0,
      keptWithReplies: [],
      deletedDuplicates: 0,
      supersededReviews: 0,
    };
    try {
      const repeats =
        options.mode === 'review' ? await this.review(report, diff, options, outcome) : undefined;
      const summary = await this.stickySummary(report, options, outcome);
      outcome.summaryComment = summary.status;
      // The summary comment's author says who the token is (GitHub's API has no question for
      // that which every token may ask): only that user's repeats are removed.
      if (repeats) await this.removeRepeats(repeats, summary.author, outcome);
    } catch (err) {
      if (err instanceof ReadOnlyToken) {
        outcome.readOnly = true;
        this.log(
          `Cannot write to the pull request (${err.operation} answered 403: a fork's read-only token?); the findings are in the annotations and the job summary.`,
        );
      } else if (isApiFailure(err)) {
        // Whatever GitHub does, the run still writes its outputs, job summary and annotations.
        outcome.failure = describeApiFailure(err, this.notFoundAdvice());
        outcome.failureStatus = httpStatus(err);
        this.log(outcome.failure);
      } else {
        throw err;
      }
    }
    return outcome;
  }

  /** What a 404 on this pull request's endpoints means to the user. */
  notFoundAdvice(): string {
    const { owner, repo, pullNumber } = this.target;
    return `pull request #${pullNumber} is not in ${owner}/${repo}, or the token cannot see it; check the pull request number the event (or the inputs) gave, and the token's repository`;
  }

  /** What the pull request shows now, and what this run would add to it. */
  private async plan(report: Report, diff: DiffMap, options: PublishOptions) {
    const { owner, repo, pullNumber } = this.target;
    const existing = await this.client.paginate(this.client.rest.pulls.listReviewComments, {
      owner,
      repo,
      pull_number: pullNumber,
      per_page: 100,
    });
    const ours = existing
      .filter((c) => c.in_reply_to_id === undefined || c.in_reply_to_id === null)
      .map((c) => ({ comment: c, fingerprint: parseFingerprintMarker(c.body) }))
      .filter(
        (c): c is { comment: (typeof existing)[number]; fingerprint: string } =>
          c.fingerprint !== undefined && (options.owns?.(c.fingerprint) ?? true),
      );
    const answered = new Set(
      existing
        .filter((c) => c.in_reply_to_id && !ours.some((o) => o.comment.id === c.id))
        .filter((c) => {
          const parent = ours.find((o) => o.comment.id === c.in_reply_to_id);
          return parent !== undefined && c.user?.login !== parent.comment.user?.login;
        })
        .map((c) => c.in_reply_to_id!),
    );
    const reviews = await this.client.paginate(this.client.rest.pulls.listReviews, {
      owner,
      repo,
      pull_number: pullNumber,
      per_page: 100,
    });
    // A comment whose line a later push changed is outdated (no current line): GitHub folds it
    // away, so the finding is shown again at its line now.
    const alreadyShown = new Set<string>(
      ours.filter((o) => !isOutdated(o.comment)).map((o) => o.fingerprint),
    );
    for (const r of reviews)
      if (r.state !== 'PENDING') for (const fp of fingerprintsIn(r.body ?? '')) alreadyShown.add(fp);
    // Only their author sees pending reviews: every pending one listed is this token's own.
    const pending = reviews.filter((r) => r.state === 'PENDING').map((r) => r.id);

    // Safe findings need no reviewer's attention; the summary lists them.
    const current = new Map<string, Finding>();
    for (const f of report.findings)
      if (f.class !== 'safe' && !current.has(f.fingerprint)) current.set(f.fingerprint, f);

    const inline: Placed[] = [];
    const inBody: Finding[] = [];
    for (const finding of current.values()) {
      if (alreadyShown.has(finding.fingerprint)) continue;
      const { placement, keepSuggestion } = placeFinding(diff, finding);
      if (!placement || inline.length >= MAX_INLINE_COMMENTS) {
        inBody.push(finding);
        continue;
      }
      const shown = keepSuggestion ? finding : { ...finding, suggestion: undefined };
      const comment: ReviewCommentInput = {
        path: placement.path,
        line: placement.line,
        side: placement.side,
        body: renderFindingComment(shown, {
          ruleDocsUrl: options.ruleDocsUrl,
          fingerprintMarker: true,
          knownMachineTypes: report.machineTypes,
        }),
      };
      if (placement.startLine !== undefined) {
        comment.start_line = placement.startLine;
        comment.start_side = placement.side;
      }
      inline.push({ finding, comment });
    }
    return { ours, answered, current, inline, inBody, pending, reviews };
  }

  private async review(
    report: Report,
    diff: DiffMap,
    options: PublishOptions,
    outcome: PublishOutcome,
  ): Promise<Repeats> {
    const { owner, repo } = this.target;
    let planned = await this.plan(report, diff, options);
    // A creating request whose answer was lost may have been processed: the second try posts
    // only what the pull request does not show after listing it again.
    for (let attempt = 1; planned.inline.length || planned.inBody.length; attempt++) {
      try {
        await this.postChecked(planned.inline, planned.inBody, planned.pending, options, outcome);
        break;
      } catch (err) {
        if (attempt > 1 || !isUnclearFailure(err)) throw err;
        this.log(
          `The answer to creating the review was lost (${lostAnswer(err)}): listing the review again before posting anything twice.`,
        );
        const sent = planned;
        planned = await this.plan(report, diff, options);
        if (!planned.inline.length && !planned.inBody.length) {
          this.log('The review was created although its answer was lost: it is not posted again.');
          outcome.inlineComments = sent.inline.length;
          outcome.bodyFindings = sent.inBody.length;
        }
      }
    }

    // Overlapping runs may each have posted a finding: the oldest current comment stays.
    const shown = new Set<string>();
    const repeats: Repeats = {
      reviews: planned.reviews,
      ours: planned.ours,
      duplicates: [],
      deleted: new Set(),
    };
    for (const ours of [...planned.ours].sort((a, b) => a.comment.id - b.comment.id)) {
      const { comment, fingerprint } = ours;
      const replaced = planned.current.has(fingerprint) && isOutdated(comment);
      const duplicate = planned.current.has(fingerprint) && !replaced && shown.has(fingerprint);
      if (planned.current.has(fingerprint) && !replaced && !duplicate) {
        shown.add(fingerprint);
        continue;
      }
      if (planned.answered.has(comment.id)) {
        if (!replaced && !duplicate) outcome.keptWithReplies.push({ fingerprint, url: comment.html_url });
        continue;
      }
      if (duplicate) {
        repeats.duplicates.push(ours);
        continue;
      }
      await this.write('deleting an outdated review comment', () =>
        this.client.rest.pulls.deleteReviewComment({ owner, repo, comment_id: comment.id }),
      );
      repeats.deleted.add(comment.id);
      outcome.deletedComments++;
    }
    return repeats;
  }

  /**
   * Removes what overlapping runs posted twice. A review of the token's user at this head that
   * shows nothing an earlier one does not (its comments are all second comments of a finding,
   * its body lists no other finding) gets a body pointing to the earlier one, since GitHub
   * cannot delete a submitted review; then the second comments are deleted. In this order a run
   * stopped halfway leaves the review recognisable by its comments' fingerprints.
   */
  private async removeRepeats(repeats: Repeats, tokenUser: string | undefined, outcome: PublishOutcome) {
    const { owner, repo, pullNumber, headSha } = this.target;
    const duplicateIds = new Set(repeats.duplicates.map((d) => d.comment.id));
    const commentsOf = (review: ListedReview) =>
      repeats.ours.filter((o) => o.comment.pull_request_review_id === review.id);
    const kept = (review: ListedReview) =>
      commentsOf(review).filter((o) => !duplicateIds.has(o.comment.id) && !repeats.deleted.has(o.comment.id));
    // Only reviews of the token's user are rewritten: another's review is theirs, even if it
    // quotes the findings.
    const candidates = repeats.reviews
      .filter(
        (r) =>
          tokenUser !== undefined &&
          r.user?.login === tokenUser &&
          r.state === 'COMMENTED' &&
          r.commit_id === headSha &&
          (fingerprintsIn(r.body ?? '').size > 0 || commentsOf(r).length > 0),
      )
      .sort((a, b) => a.id - b.id);
    const superseded = new Set<number>();
    for (const [i, review] of candidates.entries()) {
      const comments = commentsOf(review);
      if (!comments.every((o) => duplicateIds.has(o.comment.id))) continue;
      const repeated = new Set([...fingerprintsIn(review.body ?? ''), ...comments.map((o) => o.fingerprint)]);
      const original = candidates.slice(0, i).find((earlier) => {
        if (superseded.has(earlier.id)) return false;
        const shows = new Set([
          ...fingerprintsIn(earlier.body ?? ''),
          ...kept(earlier).map((o) => o.fingerprint),
        ]);
        return [...repeated].every((fp) => shows.has(fp));
      });
      if (!original) continue;
      superseded.add(review.id);
      const body = `Superseded: an overlapping run posted the same findings in ${original.html_url}.`;
      if (review.body === body) continue;
      await this.write('updating a repeated review', () =>
        this.client.rest.pulls.updateReview({
          owner,
          repo,
          pull_number: pullNumber,
          review_id: review.id,
          body,
        }),
      );
      outcome.supersededReviews++;
    }
    if (outcome.supersededReviews)
      this.log(
        `${outcome.supersededReviews} review${outcome.supersededReviews === 1 ? '' : 's'} of overlapping runs repeated an earlier one: ${outcome.supersededReviews === 1 ? 'its body now points' : 'their bodies now point'} to it (GitHub cannot delete a submitted review).`,
      );
    for (const { comment } of repeats.duplicates) {
      if (tokenUser === undefined || comment.user?.login !== tokenUser) continue;
      try {
        await this.write('deleting a duplicate review comment', () =>
          this.client.rest.pulls.deleteReviewComment({ owner, repo, comment_id: comment.id }),
        );
      } catch (err) {
        // An overlapping run deleted it first.
        if (httpStatus(err) === 404) continue;
        throw err;
      }
      outcome.deletedComments++;
    }
  }

  /**
   * Posts one review. A pending review left by an earlier run (GitHub allows one per user and
   * pull request, and then refuses every review) is deleted first; comments GitHub refuses on
   * the diff are isolated and moved into the body.
   */
  private async postChecked(
    inline: Placed[],
    inBody: Finding[],
    /** The pending reviews listed before; undefined once they were deleted. */
    pending: number[] | undefined,
    options: PublishOptions,
    outcome: PublishOutcome,
  ): Promise<void> {
    let accepted = inline;
    let rejected: Placed[] = [];
    try {
      await this.postReview(accepted, inBody, options);
    } catch (err) {
      if (httpStatus(err) !== 422) throw err;
      if (pendingReviewRefusal(err) && pending !== undefined) {
        if (!(await this.deletePending(pending))) throw err;
        await this.postChecked(inline, inBody, undefined, options, outcome);
        return;
      }
      if (!inline.length) throw err;
      rejected = await this.findRejected(inline);
      accepted = inline.filter((p) => !rejected.includes(p));
      this.log(
        `GitHub refused ${rejected.length} inline comment${rejected.length === 1 ? '' : 's'} outside its view of the diff; ${rejected.length === 1 ? 'it goes' : 'they go'} into the review body.`,
      );
      await this.postReview(accepted, [...rejected.map((p) => p.finding), ...inBody], options);
    }
    outcome.inlineComments = accepted.length;
    outcome.movedToBody = rejected.length;
    outcome.bodyFindings = inBody.length + rejected.length;
  }

  /** Deletes the token's pending reviews; false when GitHub lists none to delete. */
  private async deletePending(pending: number[]): Promise<boolean> {
    const { owner, repo, pullNumber } = this.target;
    let ids = pending;
    if (!ids.length) {
      const reviews = await this.client.paginate(this.client.rest.pulls.listReviews, {
        owner,
        repo,
        pull_number: pullNumber,
        per_page: 100,
      });
      ids = reviews.filter((r) => r.state === 'PENDING').map((r) => r.id);
    }
    if (!ids.length) return false;
    for (const id of ids) {
      await this.write('deleting a pending review', () =>
        this.client.rest.pulls.deletePendingReview({ owner, repo, pull_number: pullNumber, review_id: id }),
      );
    }
    this.log(
      `Deleted ${ids.length} pending review${ids.length === 1 ? '' : 's'} this token had left on the pull request (GitHub allows one, and then refuses new reviews).`,
    );
    return true;
  }

  private async postReview(inline: Placed[], inBody: Finding[], options: PublishOptions): Promise<void> {
    const { owner, repo, pullNumber, headSha } = this.target;
    const lines = [
      `**cpu-model-guard** at ${headSha.slice(0, 12)}: ${inline.length + inBody.length} new finding${inline.length + inBody.length === 1 ? '' : 's'} that need${inline.length + inBody.length === 1 ? 's' : ''} a reviewer's eye.`,
    ];
    if (inline.length)
      lines.push(
        '',
        `${inline.length} ${inline.length === 1 ? 'is' : 'are'} commented on the changed lines.`,
      );
    if (inBody.length) {
      lines.push(
        '',
        `Not on a line of this diff, or past the ${MAX_INLINE_COMMENTS} inline comments of one review:`,
        '',
      );
      let size = lines.join('\n').length;
      let listed = 0;
      for (const f of inBody) {
        const line = bodyLine(f, options.ruleDocsUrl);
        if (size + line.length + 200 > REVIEW_BODY_MAX_CHARS) break;
        lines.push(line);
        size += line.length + 1;
        listed++;
      }
      if (listed < inBody.length)
        lines.push('', `_${inBody.length - listed} more in the summary comment and the job summary._`);
    }
    await this.write('creating a review', () =>
      this.client.rest.pulls.createReview({
        owner,
        repo,
        pull_number: pullNumber,
        commit_id: headSha,
        event: 'COMMENT',
        body: lines.join('\n'),
        comments: inline.map((p) => p.comment),
      }),
    );
  }

  /**
   * GitHub's 422 does not say which comment it refused. Pending reviews are private and can be
   * deleted, so halves are tried as pending reviews until the refused comments are isolated.
   */
  private async findRejected(placed: Placed[]): Promise<Placed[]> {
    const { owner, repo, pullNumber, headSha } = this.target;
    const attempt = async (group: Placed[]): Promise<boolean> => {
      try {
        const { data } = await this.write('creating a pending review', () =>
          this.client.rest.pulls.createReview({
            owner,
            repo,
            pull_number: pullNumber,
            commit_id: headSha,
            comments: group.map((p) => p.comment),
          }),
        );
        await this.write('deleting a pending review', () =>
          this.client.rest.pulls.deletePendingReview({
            owner,
            repo,
            pull_number: pullNumber,
            review_id: data.id,
          }),
        );
        return true;
      } catch (err) {
        if (httpStatus(err) === 422) return false;
        throw err;
      }
    };
    const bisect = async (group: Placed[]): Promise<Placed[]> => {
      if (!group.length || (await attempt(group))) return [];
      if (group.length === 1) return group;
      const mid = Math.ceil(group.length / 2);
      return [...(await bisect(group.slice(0, mid))), ...(await bisect(group.slice(mid)))];
    };
    return bisect(placed);
  }

  private async stickySummary(
    report: Report,
    options: PublishOptions,
    outcome: PublishOutcome,
  ): Promise<{ status: 'created' | 'updated' | 'unchanged'; author?: string }> {
    const { owner, repo, pullNumber } = this.target;
    const marker = stickyMarker(options.summaryKey);
    const parts = [
      marker,
      renderMarkdownSummary(report, {
        maxBytes: STICKY_SUMMARY_MAX_BYTES,
        ruleDocsUrl: options.ruleDocsUrl,
        fullReportHint: 'the full report is in the job summary of the workflow run',
      }),
    ];
    if (outcome.keptWithReplies.length) {
      parts.push(
        '### Resolved, with discussion',
        '',
        'These findings are gone from the current head; their comments stay because someone answered them.',
        '',
        ...outcome.keptWithReplies
          .slice(0, 50)
          .map((k) => `- ✔️ [resolved](${k.url}): ${codeSpan(k.fingerprint)}`),
        '',
      );
    }
    const body = parts.join('\n');
    let mine = await this.summaryComments(marker, outcome);
    if (!mine) {
      try {
        await this.write('creating the summary comment', () =>
          this.client.rest.issues.createComment({ owner, repo, issue_number: pullNumber, body }),
        );
      } catch (err) {
        if (!isUnclearFailure(err)) throw err;
        this.log(
          `The answer to creating the summary comment was lost (${lostAnswer(err)}): listing the comments again before posting it twice.`,
        );
        if (!(await this.summaryComments(marker, outcome))) {
          await this.write('creating the summary comment', () =>
            this.client.rest.issues.createComment({ owner, repo, issue_number: pullNumber, body }),
          );
        }
      }
      // Another run on this pull request may have created its own at the same time.
      mine = await this.summaryComments(marker, outcome);
      // The comment the action writes is the token's: its author is who the token is.
      const author = mine?.user?.login;
      if (mine && mine.body !== body) return { status: await this.updateSummary(mine.id, body), author };
      return { status: 'created', author };
    }
    const author = mine.user?.login;
    if (mine.body === body) return { status: 'unchanged', author };
    return { status: await this.updateSummary(mine.id, body), author };
  }

  private async updateSummary(commentId: number, body: string): Promise<'updated'> {
    const { owner, repo } = this.target;
    await this.write('updating the summary comment', () =>
      this.client.rest.issues.updateComment({ owner, repo, comment_id: commentId, body }),
    );
    return 'updated';
  }

  /**
   * This check's summary comment, the oldest when overlapping runs each created one: the
   * others are deleted, so that every run leaves at most one.
   */
  private async summaryComments(marker: string, outcome: PublishOutcome) {
    const { owner, repo, pullNumber } = this.target;
    const comments = await this.client.paginate(this.client.rest.issues.listComments, {
      owner,
      repo,
      issue_number: pullNumber,
      per_page: 100,
    });
    const [first, ...duplicates] = comments
      .filter((c) => c.body?.startsWith(marker))
      .sort((a, b) => a.id - b.id);
    let deleted = 0;
    for (const d of duplicates) {
      if (d.user?.login !== first!.user?.login) continue;
      try {
        await this.write('deleting a duplicate summary comment', () =>
          this.client.rest.issues.deleteComment({ owner, repo, comment_id: d.id }),
        );
      } catch (err) {
        // The overlapping run deleted it first.
        if (httpStatus(err) === 404) continue;
        throw err;
      }
      deleted++;
    }
    if (deleted)
      this.log(
        `Deleted ${deleted} duplicate summary comment${deleted === 1 ? '' : 's'} that overlapping runs had left.`,
      );
    outcome.deletedDuplicates += deleted;
    return first;
  }
}

/** A commit status for branch protection: the gate a required check reads. */
export async function setCommitStatus(
  client: GitHubClient,
  where: { owner: string; repo: string; sha: string },
  context: string,
  report: Pick<Report, 'result' | 'counts'>,
  targetUrl: string | undefined,
): Promise<void> {
  const c = report.counts;
  const description = `${report.result}: ${c['new-model-required']} new-model-required, ${c['type-2']} type-2, ${c.safe} safe, ${c.waived} waived`;
  try {
    await client.rest.repos.createCommitStatus({
      ...where,
      state: report.result === 'pass' ? 'success' : 'failure',
      context,
      description: description.slice(0, 140),
      ...(targetUrl ? { target_url: targetUrl } : {}),
    });
  } catch (err) {
    if (httpStatus(err) === 403) throw new ReadOnlyToken('setting the commit status');
    throw err;
  }
}
