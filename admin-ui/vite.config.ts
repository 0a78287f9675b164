import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

/**
 * `npm run dev -w admin-ui` serves /config.json from the outputs of a running `npm start`
 * ($WARDEN_HOME/outputs.json), so the dev server talks to the local stack with no copying.
 */
const here = fileURLToPath(new URL('.', import.meta.url));

function localRuntimeConfig(): Plugin {
  return {
    name: 'warden-local-runtime-config',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/config.json', (_req, res) => {
        const home = resolve(here, '..', process.env.WARDEN_HOME ?? '.warden');
        readFile(resolve(home, 'outputs.json'), 'utf8')
          .then((text) => {
            const outputs = (JSON.parse(text) as Record<string, Record<string, unknown>>)
              .WardenLocal;
            res.setHeader('content-type', 'application/json');
            res.end(
              JSON.stringify({
                apiUrl: outputs?.ApiUrl,
                webSocketUrl: outputs?.WebSocketUrl,
                auth: { mode: 'token' },
              }),
            );
          })
          .catch(() => {
            res.statusCode = 503;
            res.setHeader('content-type', 'application/json');
            res.end(
              JSON.stringify({
                error: {
                  code: 'NO_LOCAL_STACK',
                  message: 'Start the local stack first (npm start), then reload.',
                },
              }),
            );
          });
      });
    },
  };
}

export default defineConfig({
  plugins: [vue(), localRuntimeConfig()],
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    // The build is part of `npm run build`; timing notes about plugins on a busy machine are noise.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
