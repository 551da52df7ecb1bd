// `npx vitest` from the root runs every package's tests (npm test runs them per package via turbo).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'bench'],
  },
});
