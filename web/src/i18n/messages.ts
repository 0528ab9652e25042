// The dictionaries. `en` defines the keys and, through `{name}` placeholders, the parameters
// each text takes; `es` must have exactly the same keys (the compiler checks it).

import { adminEn, adminEs } from './messages/admin';
import { clientEn, clientEs } from './messages/client';

export const en = {
  'app.title': 'Neuropod',
  'app.tagline': 'Container pods on Kubernetes, paid with credits',
  'language.label': 'Language',

  'common.loading': 'Loading…',
  'common.retry': 'Retry',
  'common.empty': 'Nothing here yet.',

  'common.backHome': 'Back to the home page',

  'auth.signIn': 'Sign in',
  'auth.signOut': 'Sign out',
  'auth.unlimited': 'Unlimited',

  'userMenu.label': 'Account menu of {name}',
  'userMenu.account': 'Your account',
  'userMenu.pods': 'Your pods',
  'userMenu.balance': 'Balance: {amount}',

  'role.admin': 'Administrator',
  'role.client': 'Client',

  'login.title': 'Sign in to Neuropod',
  'login.subtitle': 'Sign in to run your pods and follow your credits.',
  'login.google': 'Sign in with Google',
  'login.none': 'This server offers no way to sign in yet. Ask its administrator.',
  'login.or': 'or',
  'login.dev.title': 'Development sign-in',
  'login.dev.warning':
    'For local development only: anyone can sign in with any email address, without a password. It is never enabled in production.',
  'login.dev.email': 'Email',
  'login.dev.name': 'Name (optional)',
  'login.dev.submit': 'Sign in (development)',
  'login.dev.emailRequired': 'Enter an email address.',
  'login.dev.emailInvalid': 'Enter a valid email address, such as ana@example.com.',
  'login.error.title': 'You are not signed in',
  'login.error.access_denied': 'The sign-in with Google was cancelled, or Neuropod was not allowed to see your account.',
  'login.error.attempt': 'This sign-in attempt expired or was already used. Start again.',
  'login.error.rejected': "Google's answer could not be verified, so you were not signed in. Try again.",
  'login.error.email_not_verified': 'The email address of your Google account is not verified. Verify it with Google and try again.',
  'login.error.blocked': 'Your account is blocked. Contact the administrator if you think this is a mistake.',
  'login.error.google_unreachable': 'Google could not be reached. Try again in a moment.',
  'login.error.rate_limited': 'Too many sign-in attempts. Wait a minute and try again.',
  'login.error.generic': 'Sign-in failed. Try again.',

  'guard.blocked.title': 'Your account is blocked',
  'guard.blocked.body': 'You cannot use Neuropod while your account is blocked. Contact the administrator if you think this is a mistake.',
  'guard.forbidden.title': 'Not allowed',
  'guard.forbidden.body': 'This page is only for administrators.',

  'account.title': 'Your account',
  'account.profile': 'Profile',
  'account.name': 'Name',
  'account.email': 'Email',
  'account.role': 'Role',
  'account.balance': 'Balance',
  'account.memberSince': 'Member since',

  'sessions.title': 'Active sessions',
  'sessions.description': 'Where your account is signed in. Revoke any session you do not recognise.',
  'sessions.device': 'Device',
  'sessions.ip': 'IP address',
  'sessions.signedInAt': 'Signed in',
  'sessions.lastSeen': 'Last seen',
  'sessions.actions': 'Actions',
  'sessions.thisDevice': 'This device',
  'sessions.unknownDevice': 'Unknown device',
  'sessions.method.google': 'Google',
  'sessions.method.dev': 'Development sign-in',
  'sessions.revoke': 'Revoke',
  'sessions.signOutEverywhere': 'Sign out everywhere',
  'sessions.signOutEverywhereHint': 'Ends every session of your account, this one included.',

  'pods.title': 'Your pods',
  'pods.description': 'Your containers: open them, stop them when you are not using them, start them again later.',
  'pods.empty': 'You have no pods yet.',
  'pods.name': 'Name',
  'pods.source': 'Template / image',
  'pods.customImage': 'Custom image',
  'pods.status': 'Status',
  'pods.cost': 'Cost so far',
  'pods.perHour': '{amount}/h',
  'pods.actions': 'Actions',
  'pods.open': 'Open {port}',
  'pods.stop': 'Stop',
  'pods.start': 'Start',
  'pods.delete': 'Delete',
  'pods.cancel': 'Cancel',
  'pods.failedReason': 'Reason: {reason}',
  'pods.delete.title': 'Delete the pod {name}?',
  'pods.delete.body':
    'The pod stops and leaves your list. Its workspace is kept, and what it cost stays in your billing history.',
  'pods.delete.confirm': 'Delete pod',
  'pods.live.waiting': 'Live updates paused: reconnecting…',

  'podStatus.pending': 'Pending',
  'podStatus.creating': 'Creating',
  'podStatus.running': 'Running',
  'podStatus.stopping': 'Stopping',
  'podStatus.stopped': 'Stopped',
  'podStatus.failed': 'Failed',

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
  ...clientEn,
  ...adminEn,
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

  'common.backHome': 'Volver al inicio',

  'auth.signIn': 'Iniciar sesión',
  'auth.signOut': 'Cerrar sesión',
  'auth.unlimited': 'Ilimitado',

  'userMenu.label': 'Menú de la cuenta de {name}',
  'userMenu.account': 'Tu cuenta',
  'userMenu.pods': 'Tus pods',
  'userMenu.balance': 'Saldo: {amount}',

  'role.admin': 'Administrador',
  'role.client': 'Cliente',

  'login.title': 'Inicia sesión en Neuropod',
  'login.subtitle': 'Inicia sesión para usar tus pods y consultar tus créditos.',
  'login.google': 'Iniciar sesión con Google',
  'login.none': 'Este servidor aún no ofrece ninguna forma de iniciar sesión. Pregunta a su administrador.',
  'login.or': 'o',
  'login.dev.title': 'Acceso de desarrollo',
  'login.dev.warning':
    'Solo para desarrollo local: cualquiera puede entrar con cualquier correo, sin contraseña. Nunca se activa en producción.',
  'login.dev.email': 'Correo electrónico',
  'login.dev.name': 'Nombre (opcional)',
  'login.dev.submit': 'Entrar (desarrollo)',
  'login.dev.emailRequired': 'Escribe un correo electrónico.',
  'login.dev.emailInvalid': 'Escribe un correo electrónico válido, como ana@example.com.',
  'login.error.title': 'No has iniciado sesión',
  'login.error.access_denied': 'Se ha cancelado el acceso con Google, o no se ha permitido a Neuropod ver tu cuenta.',
  'login.error.attempt': 'Este intento de inicio de sesión ha caducado o ya se ha usado. Empieza de nuevo.',
  'login.error.rejected': 'No se ha podido verificar la respuesta de Google, así que no has iniciado sesión. Inténtalo de nuevo.',
  'login.error.email_not_verified': 'El correo de tu cuenta de Google no está verificado. Verifícalo en Google y vuelve a intentarlo.',
  'login.error.blocked': 'Tu cuenta está bloqueada. Contacta con el administrador si crees que es un error.',
  'login.error.google_unreachable': 'No se ha podido contactar con Google. Inténtalo de nuevo en un momento.',
  'login.error.rate_limited': 'Demasiados intentos de inicio de sesión. Espera un minuto y vuelve a intentarlo.',
  'login.error.generic': 'No se ha podido iniciar sesión. Inténtalo de nuevo.',

  'guard.blocked.title': 'Tu cuenta está bloqueada',
  'guard.blocked.body': 'No puedes usar Neuropod mientras tu cuenta esté bloqueada. Contacta con el administrador si crees que es un error.',
  'guard.forbidden.title': 'No permitido',
  'guard.forbidden.body': 'Esta página es solo para administradores.',

  'account.title': 'Tu cuenta',
  'account.profile': 'Perfil',
  'account.name': 'Nombre',
  'account.email': 'Correo electrónico',
  'account.role': 'Rol',
  'account.balance': 'Saldo',
  'account.memberSince': 'Miembro desde',

  'sessions.title': 'Sesiones activas',
  'sessions.description': 'Dónde está abierta tu cuenta. Revoca cualquier sesión que no reconozcas.',
  'sessions.device': 'Dispositivo',
  'sessions.ip': 'Dirección IP',
  'sessions.signedInAt': 'Inicio de sesión',
  'sessions.lastSeen': 'Última actividad',
  'sessions.actions': 'Acciones',
  'sessions.thisDevice': 'Este dispositivo',
  'sessions.unknownDevice': 'Dispositivo desconocido',
  'sessions.method.google': 'Google',
  'sessions.method.dev': 'Acceso de desarrollo',
  'sessions.revoke': 'Revocar',
  'sessions.signOutEverywhere': 'Cerrar sesión en todos los dispositivos',
  'sessions.signOutEverywhereHint': 'Termina todas las sesiones de tu cuenta, también esta.',

  'pods.title': 'Tus pods',
  'pods.description': 'Tus contenedores: ábrelos, detenlos cuando no los uses y vuelve a arrancarlos más tarde.',
  'pods.empty': 'Aún no tienes ningún pod.',
  'pods.name': 'Nombre',
  'pods.source': 'Plantilla / imagen',
  'pods.customImage': 'Imagen propia',
  'pods.status': 'Estado',
  'pods.cost': 'Coste hasta ahora',
  'pods.perHour': '{amount}/h',
  'pods.actions': 'Acciones',
  'pods.open': 'Abrir {port}',
  'pods.stop': 'Detener',
  'pods.start': 'Arrancar',
  'pods.delete': 'Eliminar',
  'pods.cancel': 'Cancelar',
  'pods.failedReason': 'Motivo: {reason}',
  'pods.delete.title': '¿Eliminar el pod {name}?',
  'pods.delete.body':
    'El pod se detiene y desaparece de tu lista. Su espacio de trabajo se conserva, y lo que ha costado sigue en tu historial de facturación.',
  'pods.delete.confirm': 'Eliminar pod',
  'pods.live.waiting': 'Actualizaciones en directo en pausa: reconectando…',

  'podStatus.pending': 'Pendiente',
  'podStatus.creating': 'Creando',
  'podStatus.running': 'En marcha',
  'podStatus.stopping': 'Deteniéndose',
  'podStatus.stopped': 'Detenido',
  'podStatus.failed': 'Fallido',

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
  ...clientEs,
  ...adminEs,
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
