// The dictionaries. `en` defines the keys and, through `{name}` placeholders, the parameters
// each text takes; `es` must have exactly the same keys (the compiler checks it).

export const en = {
  'app.title': 'Neuropod',
  'app.tagline': 'Container pods on Kubernetes, paid with credits',
  'language.label': 'Language',

  'common.loading': 'Loading…',
  'common.retry': 'Retry',
  'common.empty': 'Nothing here yet.',

  'error.title': 'Something went wrong',
  'error.requestId': 'Request id: {id}',
  'error.network': 'Could not reach the server. Check your connection and try again.',
  'error.timeout': 'The server took too long to answer. Try again in a moment.',
  'error.unexpectedResponse': 'The server sent an unexpected response (HTTP {status}).',
  'error.unavailable': 'The service cannot be reached right now (HTTP {status}). Try again in a moment.',
  'error.unexpected': 'An unexpected error happened: {message}',

  'status.title': 'Service status',
  'status.overall.ok': 'All systems operational',
  'status.overall.degraded': 'Degraded',
  'status.version': 'Version',
  'status.environment': 'Environment',
  'status.uptime': 'Uptime',
  'status.database': 'Database',
  'status.kubernetes': 'Kubernetes',
  'status.latency': '{ms} ms',
  'status.updatedAt': 'Updated at {time}',

  'dependency.ok': 'OK',
  'dependency.down': 'Down',
  'dependency.not_configured': 'Not configured',

  'environment.development': 'development',
  'environment.test': 'test',
  'environment.production': 'production',

  'notFound.title': 'Page not found',
  'notFound.back': 'Back to the home page',
} as const;

export type MessageKey = keyof typeof en;
export type Messages = { readonly [K in MessageKey]: string };

export const es: Messages = {
  'app.title': 'Neuropod',
  'app.tagline': 'Pods de contenedores en Kubernetes, pagados con créditos',
  'language.label': 'Idioma',

  'common.loading': 'Cargando…',
  'common.retry': 'Reintentar',
  'common.empty': 'Aún no hay nada aquí.',

  'error.title': 'Algo ha fallado',
  'error.requestId': 'Id de la petición: {id}',
  'error.network': 'No se ha podido contactar con el servidor. Comprueba la conexión y vuelve a intentarlo.',
  'error.timeout': 'El servidor ha tardado demasiado en responder. Inténtalo de nuevo en un momento.',
  'error.unexpectedResponse': 'El servidor ha enviado una respuesta inesperada (HTTP {status}).',
  'error.unavailable': 'El servicio no está disponible ahora mismo (HTTP {status}). Inténtalo de nuevo en un momento.',
  'error.unexpected': 'Ha ocurrido un error inesperado: {message}',

  'status.title': 'Estado del servicio',
  'status.overall.ok': 'Todo funciona',
  'status.overall.degraded': 'Con problemas',
  'status.version': 'Versión',
  'status.environment': 'Entorno',
  'status.uptime': 'Tiempo activo',
  'status.database': 'Base de datos',
  'status.kubernetes': 'Kubernetes',
  'status.latency': '{ms} ms',
  'status.updatedAt': 'Actualizado a las {time}',

  'dependency.ok': 'Operativo',
  'dependency.down': 'Caído',
  'dependency.not_configured': 'Sin configurar',

  'environment.development': 'desarrollo',
  'environment.test': 'pruebas',
  'environment.production': 'producción',

  'notFound.title': 'Página no encontrada',
  'notFound.back': 'Volver al inicio',
};

export const languages = ['es', 'en'] as const;
export type Language = (typeof languages)[number];

export const dictionaries: { readonly [L in Language]: Messages } = { en, es };

/** Names of the `{placeholders}` in a text, e.g. Placeholders<'Hi {name}'> = 'name'. */
type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;

export type MessageParams<K extends MessageKey> = Record<Placeholders<(typeof en)[K]>, string | number>;

/** `t('status.latency', { ms: 3 })`: the parameters are required exactly when the text has placeholders. */
export type Translate = <K extends MessageKey>(
  key: K,
  ...params: [Placeholders<(typeof en)[K]>] extends [never] ? [] : [MessageParams<K>]
) => string;

export function translate(language: Language, key: MessageKey, params?: Record<string, string | number>): string {
  const text = dictionaries[language][key];
  if (params === undefined) {
    return text;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}
