/** See path-aliases.mjs. */
export declare const PATH_ALIASES: Record<'@shared' | '@main' | '@renderer', string>
