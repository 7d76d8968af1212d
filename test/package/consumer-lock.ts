/**
 * A lock file for a fresh app that depends on the packed tarball (and on aws-cdk-lib and constructs, its peers),
 * made of this repository's own lock entries. `npm ci --offline` installs from it with nothing but the npm cache:
 * `npm install --offline` of a tarball would need the registry's package documents, which a lock-driven install
 * never fetched.
 *
 * Only what the tarball's `dependencies` and `peerDependencies` reach is kept, resolved the way Node resolves
 * (the nearest `node_modules` up the tree), so a runtime import of a package that is only a devDependency here
 * fails in the app as it would for a user.
 */

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly peer?: boolean;
  readonly devOptional?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export interface Lock {
  readonly name: string;
  readonly lockfileVersion: number;
  readonly requires?: boolean;
  readonly packages: Readonly<Record<string, LockEntry>>;
}

export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: unknown;
  readonly bin?: unknown;
  readonly engines?: unknown;
}

/** The app's package.json and lock: it depends on `tarball` (a `file:` spec) and on the package's peers. */
export function consumerLock(
  repoLock: Lock,
  pkg: PackageJson,
  appName: string,
  tarball: string,
): { packageJson: object; lock: Lock } {
  const entries: Record<string, LockEntry> = {};
  const nearest = (from: string, name: string): string | undefined => {
    let dir = from;
    for (;;) {
      const path = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
      if (repoLock.packages[path]) return path;
      if (dir === '') return undefined;
      const parent = dir.lastIndexOf('/node_modules/');
      dir = parent < 0 ? '' : dir.slice(0, parent);
    }
  };
  const visit = (from: string, names: readonly string[]): void => {
    for (const name of names) {
      const path = nearest(from, name);
      // an optional dependency for another platform is absent from the lock: npm skips it there too
      if (path === undefined || entries[path]) continue;
      const entry = repoLock.packages[path] as LockEntry;
      // dev and peer are this repository's view of the package; in the app every kept entry is a dependency
      const { dev: _dev, peer: _peer, devOptional, ...kept } = entry;
      entries[path] = devOptional ? { ...kept, optional: true } : kept;
      visit(path, [
        ...Object.keys(entry.dependencies ?? {}),
        ...Object.keys(entry.optionalDependencies ?? {}),
        ...Object.keys(entry.peerDependencies ?? {}),
      ]);
    }
  };
  const self = `node_modules/${pkg.name}`;
  entries[self] = {
    version: pkg.version,
    resolved: tarball,
    license: pkg.license,
    dependencies: pkg.dependencies,
    peerDependencies: pkg.peerDependencies,
    peerDependenciesMeta: pkg.peerDependenciesMeta,
    bin: pkg.bin,
    engines: pkg.engines,
  };
  visit(self, [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);

  const dependencies: Record<string, string> = { [pkg.name]: tarball };
  for (const peer of Object.keys(pkg.peerDependencies)) {
    const version = entries[`node_modules/${peer}`]?.version;
    if (version === undefined) throw new Error(`the repository's lock has no ${peer} to give the app`);
    dependencies[peer] = version;
  }
  const root = { name: appName, dependencies };
  return {
    packageJson: { ...root, private: true, type: 'module' },
    lock: { name: appName, lockfileVersion: 3, requires: true, packages: { '': root, ...entries } },
  };
}
