import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by the platform at / (MCP_CONSOLE_DIR, default web/dist); `npm run dev -w web`
// proxies /api to a platform on MCP_DEV_API (default http://127.0.0.1:8000).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/api': process.env.MCP_DEV_API ?? 'http://127.0.0.1:8000' } },
});
