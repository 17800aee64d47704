// End-to-end tests spawn built processes (the API, the worker, the CLI); on a loaded 2-core machine a CLI
// start alone takes about a second, so the default 5 s per test is too tight for a test that runs several.
jest.setTimeout(30_000);
