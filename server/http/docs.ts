/**
 * GET /api/openapi.json and the reference page at /api/docs (swagger-ui-dist,
 * served from node_modules, with a small initializer instead of an inline script
 * so the Content-Security-Policy can stay strict).
 */
import express, { Router } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ClinicPulse API reference</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
  withCredentials: true, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });
`;

export function docsRoutes(document: () => unknown): Router {
  const router = Router();
  let cached: string | undefined;
  router.get('/api/openapi.json', (_req, res) => {
    cached ??= JSON.stringify(document());
    res.type('application/json').send(cached);
  });
  router.get(['/api/docs', '/api/docs/'], (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/api/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  router.use('/api/docs', express.static(dist, { index: false, maxAge: '1h' }));
  return router;
}
