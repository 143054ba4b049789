/**
 * Channel names of the API contract, with no schema imports, so the sandboxed preload can
 * allowlist them without bundling the schemas. contract.test.ts checks they match the contract.
 */
export const INVOKE_CHANNELS = [
  'app:info',
  'catalog:get',
  'tasks:preview',
  'audits:estimate',
  'audits:start',
  'audits:cancel',
  'audits:pause',
  'audits:resume',
  'audits:delete',
  'audits:retryEnded',
  'runs:cancel',
  'runs:pause',
  'audits:list',
  'audits:runs',
  'runs:drillDown',
  'privacy:scores',
  'tuning:trials',
  'library:list',
  'uploads:begin',
  'uploads:write',
  'uploads:discard',
  'models:import',
  'datasets:import',
  'models:delete',
  'models:exportOnnx',
  'datasets:delete',
  'reports:exportPdf',
  'reports:preview',
  'bundles:export',
  'bundles:import',
  'shards:merge',
  'settings:get',
  'settings:set'
] as const
export type InvokeChannel = (typeof INVOKE_CHANNELS)[number]

export const EVENT_CHANNELS = ['audit:progress', 'audit:changed', 'library:progress'] as const
export type EventChannel = (typeof EVENT_CHANNELS)[number]

/** The one IPC channel main uses to push events; its payload names the event channel. */
export const EVENT_BUS = 'api:event'
