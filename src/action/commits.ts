import { InputError } from '../errors.js';
import { GitRepository } from '../source/git-source.js';
import type { Revision } from './event.js';

/**
 * Gets the commits a run needs into the runner's checkout. actions/checkout clones one commit
 * deep by default: the base, the head and their merge base are fetched one by one, exactly
 * those commits, and history is deepened only when the merge base cannot be had otherwise.
 */
export class Checkout {
  readonly repo: GitRepository;

  constructor(
    readonly dir: string,
    private readonly log: (message: string) => void,
    private readonly remote = 'origin',
  ) {
    this.repo = new GitRepository(dir);
  }

  private async hasCommit(rev: string): Promise<boolean> {
    try {
      await this.repo.raw(['cat-file', '-e', `${rev}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  async isShallow(): Promise<boolean> {
    return (await this.repo.raw(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
  }

  private async fetch(args: string[]): Promise<void> {
    await this.repo.raw(['fetch', '--no-tags', '--no-recurse-submodules', '--quiet', ...args]);
  }

  /** The commit a revision names, fetched from the remote when the checkout lacks it. */
  async ensure(rev: Revision, what: string): Promise<string> {
    if (rev.sha && (await this.hasCommit(rev.sha))) return rev.sha;
    if (!rev.sha && (await this.hasCommit(rev.ref))) return this.repo.resolveCommit(rev.ref);
    const wanted = rev.sha ?? rev.ref;
    try {
      await this.fetch(['--depth=1', this.remote, wanted]);
    } catch (err) {
      throw new InputError(
        `cannot fetch the ${what} ${wanted} from ${this.remote}: ${firstLine(err)}`,
        { path: this.dir },
        'check that the revision exists and that the checkout kept its credentials (actions/checkout persist-credentials)',
      );
    }
    const sha = rev.sha ?? (await this.repo.raw(['rev-parse', 'FETCH_HEAD'])).trim();
    if (!(await this.hasCommit(sha))) {
      throw new InputError(`fetching the ${what} ${wanted} did not bring commit ${sha}`, { path: this.dir });
    }
    this.log(`Fetched the ${what} ${wanted}${rev.sha ? '' : ` (${sha.slice(0, 12)})`}`);
    return sha;
  }

  /**
   * The merge base of two fetched commits. `fromApi` asks GitHub for it (one request, then one
   * commit to fetch); without it, history is deepened step by step until git finds it.
   */
  async mergeBase(base: string, head: string, fromApi?: () => Promise<string | undefined>): Promise<string> {
    const local = await this.repo.mergeBase(base, head);
    if (local) return local;
    if (!(await this.isShallow())) {
      throw new InputError(
        `${base.slice(0, 12)} and ${head.slice(0, 12)} share no history: there is no merge base to compare against`,
        { path: this.dir },
        'pass base and head inputs that belong to one history',
      );
    }
    const reported = fromApi
      ? await fromApi().catch((err: unknown) => {
          this.log(
            `GitHub did not report the merge base (${firstLine(err)}): deepening the shallow history instead`,
          );
          return undefined;
        })
      : undefined;
    if (reported) {
      await this.ensure({ ref: reported, sha: reported }, 'merge base');
      return reported;
    }
    for (const depth of [50, 200, 1000]) {
      await this.fetch([`--deepen=${depth}`, this.remote, base, head]).catch(() => undefined);
      const found = await this.repo.mergeBase(base, head);
      if (found) {
        this.log(`Found the merge base ${found.slice(0, 12)} after deepening history by ${depth} commits`);
        return found;
      }
    }
    try {
      await this.fetch(['--unshallow', this.remote, base, head]);
    } catch (err) {
      throw new InputError(
        `cannot find the merge base of ${base.slice(0, 12)} and ${head.slice(0, 12)}: the checkout is shallow and fetching more history failed: ${firstLine(err)}`,
        { path: this.dir },
        'use actions/checkout with fetch-depth: 0, or give the action a token that can read the repository',
      );
    }
    const found = await this.repo.mergeBase(base, head);
    if (!found) {
      throw new InputError(
        `${base.slice(0, 12)} and ${head.slice(0, 12)} share no history: there is no merge base to compare against`,
        { path: this.dir },
      );
    }
    return found;
  }

  /**
   * The diff GitHub shows for the pull request, computed by git so that it has no size limit.
   * Renames are detected as GitHub does, and names are not quoted, so paths match the API's.
   */
  async diff(base: string, head: string, catalogPath: string): Promise<string> {
    return this.repo.raw([
      '-c',
      'core.quotePath=false',
      'diff',
      '-M',
      '--no-color',
      '--no-ext-diff',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      base,
      head,
      '--',
      catalogPath,
    ]);
  }
}

function firstLine(err: unknown): string {
  return (
    (err instanceof Error ? err.message : String(err)).split('\n').find((l) => l.trim()) ?? 'unknown error'
  );
}
