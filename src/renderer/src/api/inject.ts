import type { InjectionKey } from 'vue'
import type { ApiClient } from './client'

export const API_CLIENT: InjectionKey<ApiClient> = Symbol('api-client')
