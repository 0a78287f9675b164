import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// Component and store tests run in happy-dom; the realtime tests opt into Node with a
// per-file `@vitest-environment node` comment, since they talk to a real WebSocket server.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  plugins: [vue()],
  test: {
    name: 'admin-ui',
    root: here,
    include: ['test/**/*.test.ts'],
    environment: 'happy-dom',
    testTimeout: 20_000,
  },
});
