// Lint: typescript-eslint plus the import-direction zones from the house style.
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';

const zones = [
  // gateway/ never imports the IaC folders.
  { target: './gateway', from: './constructs', message: 'gateway/ never imports constructs/' },
  { target: './gateway', from: './infra', message: 'gateway/ never imports infra/' },
  { target: './gateway', from: './stacks', message: 'gateway/ never imports stacks/' },
  // gateway/config is a zod-only leaf.
  {
    target: './gateway/config',
    from: './gateway',
    except: ['./config'],
    message: 'gateway/config is a leaf: it imports nothing else from gateway/',
  },
  // providers never touch the HTTP layer.
  { target: './gateway/providers', from: './gateway/http', message: 'providers/ never import http/' },
  // constructs: only gateway/config from the gateway; never infra/ or stacks/.
  {
    target: './constructs',
    from: './gateway',
    except: ['./config'],
    message: 'constructs/ may import only gateway/config',
  },
  { target: './constructs', from: './infra', message: 'constructs/ never imports infra/' },
  { target: './constructs', from: './stacks', message: 'constructs/ never imports stacks/' },
  { target: './infra', from: './stacks', message: 'infra/ never imports stacks/' },
  {
    target: './infra',
    from: './gateway',
    except: ['./config'],
    message: 'infra/ may import only gateway/config',
  },
];

// eslint-disable-next-line import/no-default-export -- eslint loads the default export
export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'constructs/imports/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import/no-default-export': 'error',
      'import/no-restricted-paths': ['error', { zones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['gateway/**/*.ts', 'constructs/**/*.ts', 'infra/**/*.ts'],
    ignores: ['gateway/main.ts', 'gateway/build.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'only gateway/main.ts reads process.env' },
      ],
    },
  },
  {
    files: ['gateway/providers/**/*.ts', 'gateway/config/**/*.ts', 'gateway/openai/**/*.ts', 'gateway/errors/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', 'fastify-*', '@fastify/*'], message: 'only gateway/http imports the HTTP framework' }] }],
    },
  },
  {
    files: ['gateway/config/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', 'fastify-*', 'undici', 'pino'], message: 'gateway/config is a leaf: zod and yaml only' }] }],
    },
  },
);
