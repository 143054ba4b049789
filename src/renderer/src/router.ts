import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import AboutPage from './views/AboutPage.vue'
import AuditsPage from './views/AuditsPage.vue'
import LibraryPage from './views/LibraryPage.vue'
import NewAuditPage from './views/NewAuditPage.vue'
import SettingsPage from './views/SettingsPage.vue'
import AuditWorkspace from './views/workspace/AuditWorkspace.vue'
import LeaderboardTab from './views/workspace/LeaderboardTab.vue'
import OverviewTab from './views/workspace/OverviewTab.vue'
import PrivacyTab from './views/workspace/PrivacyTab.vue'
import ReportTab from './views/workspace/ReportTab.vue'
import RunDetailTab from './views/workspace/RunDetailTab.vue'
import RunsTab from './views/workspace/RunsTab.vue'
import TaskSpaceTab from './views/workspace/TaskSpaceTab.vue'
import TradeOffsTab from './views/workspace/TradeOffsTab.vue'

/** The tabs of an audit's workspace, in the order the tab bar shows them. */
export const WORKSPACE_TABS = [
  { name: 'overview', label: 'Overview', component: OverviewTab },
  { name: 'leaderboard', label: 'Leaderboard', component: LeaderboardTab },
  { name: 'task-space', label: 'Task space', component: TaskSpaceTab },
  { name: 'trade-offs', label: 'Trade-offs', component: TradeOffsTab },
  { name: 'privacy', label: 'Privacy', component: PrivacyTab },
  { name: 'runs', label: 'Runs', component: RunsTab },
  { name: 'run', label: 'Run detail', component: RunDetailTab },
  { name: 'report', label: 'Report', component: ReportTab }
] as const

/** The pages of the left navigation. */
export const NAV_PAGES = [
  { name: 'audits', label: 'Audits' },
  { name: 'new-audit', label: 'New audit' },
  { name: 'library', label: 'Library' },
  { name: 'settings', label: 'Settings' },
  { name: 'about', label: 'About' }
] as const

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/audits' },
  { path: '/audits', name: 'audits', component: AuditsPage, meta: { title: 'Audits' } },
  { path: '/new', name: 'new-audit', component: NewAuditPage, meta: { title: 'New audit' } },
  {
    path: '/audits/:id',
    component: AuditWorkspace,
    children: [
      { path: '', redirect: (to) => ({ name: 'overview', params: to.params }) },
      // A run's detail names the run in the path, so a link opens that run.
      ...WORKSPACE_TABS.map((t) => ({ path: t.name === 'run' ? 'run/:runId?' : t.name, name: t.name, component: t.component }))
    ]
  },
  { path: '/library', name: 'library', component: LibraryPage, meta: { title: 'Library' } },
  { path: '/settings', name: 'settings', component: SettingsPage, meta: { title: 'Settings' } },
  { path: '/about', name: 'about', component: AboutPage, meta: { title: 'About' } },
  { path: '/:unknown(.*)*', redirect: '/audits' }
]

/** Hash history: the packaged app is served from app:// (and the browser mode from one page), with no server routes. */
export function createAppRouter() {
  return createRouter({ history: createWebHashHistory(), routes })
}
