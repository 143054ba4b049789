import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import prettierOff from 'eslint-config-prettier'

const nodeOnly = ['node:*', 'fs', 'path', 'child_process', 'electron', 'better-sqlite3', '@tensorflow/*']

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } }
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'no-eval': 'error',
      'no-new-func': 'error'
    }
  },
  // Process boundaries: shared code runs everywhere, the renderer only in a sandboxed page.
  {
    files: ['src/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...nodeOnly, 'vue', 'pinia', 'echarts*', '@main/**', '@renderer/**'] }] }
  },
  {
    files: ['src/renderer/**/*.{ts,vue}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...nodeOnly, '**/main/**', '@main/**', '**/preload/**'] }] }
  },
  // Only the engine process loads TensorFlow.js and the native addon; main reads engine files through
  // tfjs-free modules (engine/model-folder.ts, engine/data/*).
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '@tensorflow/*',
            '**/*.node',
            '**/engine/train/*',
            '**/engine/model/*',
            '!**/engine/model/supported-layers',
            // The graph's types and shape inference are tfjs-free; ONNX export and import build on them.
            '!**/engine/model/graph',
            '!**/engine/model/shapes',
            '**/engine/methods/*',
            '**/engine/eval/*'
          ]
        }
      ]
    }
  },
  {
    files: ['src/main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['electron', 'better-sqlite3', '**/store/**', '**/renderer/**', '@renderer/**'] }]
    }
  },
  // Tests build odd inputs on purpose.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // Layout is prettier's (npm run format); eslint keeps to what code means.
  prettierOff
)
