// The floors, top to bottom: apps → keeper, conductor → upstream → config, db, providers, http, testkit → core.
// Nothing imports upward or sideways within a floor; testkit is for tests only.
const middle = '(config|db|providers|http|testkit)';
module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-internal',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: '^(packages|apps)/', pathNot: '^packages/core/' },
    },
    {
      name: 'middle-floor-imports-only-core',
      severity: 'error',
      // Tests may reach sideways (an adapter test sends through http to the testkit upstream).
      from: { path: `^packages/${middle}/`, pathNot: ['\\.test\\.ts$', '/test/'] },
      to: { path: '^(packages|apps)/', pathNot: [`^packages/core/`, '^packages/$1/'] },
    },
    {
      name: 'upstream-imports-only-config-providers-http-core',
      severity: 'error',
      from: { path: '^packages/upstream/', pathNot: ['\\.test\\.ts$'] },
      to: { path: '^(packages|apps)/', pathNot: '^packages/(core|config|providers|http|upstream)/' },
    },
    {
      name: 'keeper-conductor-never-import-each-other-or-apps',
      severity: 'error',
      from: { path: '^packages/(keeper|conductor)/' },
      to: { path: '^(apps/|packages/(keeper|conductor)/)', pathNot: '^packages/$1/' },
    },
    {
      name: 'packages-never-import-apps',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'testkit-only-in-tests',
      severity: 'error',
      from: {
        path: '^(apps|packages)/',
        pathNot: ['\\.test\\.ts$', '/test/', '^packages/testkit/', '/bench/'],
      },
      to: { path: '^packages/testkit/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      // A cycle through type-only imports costs nothing at run time.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|dist|\\.turbo)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    combinedDependencies: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'default', 'types'] },
  },
};
