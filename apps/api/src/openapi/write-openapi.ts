import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@signet/config';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AppModule } from '../app.module';
import { createOpenApiDocument } from './openapi-document';
import { renderOpenApiFiles } from './openapi-files';

/**
 * `npm run openapi`: writes docs/openapi.json and the generated client's types without starting a server.
 * The document comes from the module graph of the API on the embedded stores, in a throwaway DATA_DIR.
 */
async function main(root: string, outDir: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-openapi-'));
  try {
    const app = await NestFactory.create(
      AppModule.forRoot(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'error' })),
      {
        logger: ['error'],
      },
    );
    const document = createOpenApiDocument(app);
    await app.close();
    for (const [file, text] of Object.entries(await renderOpenApiFiles(document, root))) {
      mkdirSync(dirname(join(outDir, file)), { recursive: true });
      writeFileSync(join(outDir, file), text);
      process.stderr.write(`Wrote ${file}\n`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Run from the repository root (npm run openapi); an argument writes the files under another folder (tests).
main(process.cwd(), resolve(process.argv[2] ?? '.')).catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
