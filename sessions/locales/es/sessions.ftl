# Sesiones y dispositivos: textos de la biblioteca integrable.

devices-title = Tus dispositivos
devices-intro = Estos son los navegadores y aplicaciones con tu cuenta abierta. Si alguno no te suena, ciérrale la sesión.
devices-empty = No tienes la sesión abierta en ningún otro sitio.
devices-loading = Cargando tus dispositivos…
this-device = Este dispositivo
active-now = Activo ahora
active-ago = Activo hace { $n } { $n ->
    [one] { $unit ->
        [minute] minuto
        [hour] hora
       *[day] día
    }
   *[other] { $unit ->
        [minute] minutos
        [hour] horas
       *[day] días
    }
}
signed-in-on = Sesión iniciada el { $date }
ip-address = Dirección IP { $ip }
log-out = Cerrar sesión
log-out-device = Cerrar sesión en { $device }
sign-out-others = Cerrar todas las demás sesiones
sign-out-others-hint = Se cierra la sesión en todos los demás navegadores y aplicaciones. Este seguirá conectado.
revoked-device = Se ha cerrado la sesión de { $device }.
live-signed-in = { $device } acaba de iniciar sesión.
live-signed-in-from = { $device } acaba de iniciar sesión desde { $place }.
revoked-others = { $count ->
    [0] No había otras sesiones abiertas.
    [one] Se ha cerrado otra sesión.
   *[other] Se han cerrado { $count } sesiones más.
}
revoked-others-more = Se han cerrado las demás sesiones.
revoked-one = Se ha cerrado la sesión del dispositivo.
reauth-continue = Contraseña confirmada. Termina lo que empezaste:
reauth-dialog-intro = Por seguridad, escribe tu contraseña para cerrar sesiones de otros dispositivos. Este seguirá conectado.
reauth-dialog-password = Contraseña
reauth-dialog-confirm = Confirmar y cerrar sesión
cancel = Cancelar

device-name = { $browser } { $version } en { $os }
device-name-no-version = { $browser } en { $os }
device-name-browser = { $browser } { $version }
device-name-os = Dispositivo { $os }
unknown-device = Dispositivo desconocido

device-type-desktop = Ordenador
device-type-smartphone = Teléfono
device-type-tablet = Tableta
device-type-bot = Bot
device-type-unknown = Dispositivo

date-long = { $day } de { $month } de { $year }
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre

error-unauthorized = Tu sesión ha terminado. Vuelve a iniciar sesión.
error-not-found = Esa sesión ya no existe o no es tuya.
error-cannot-revoke-current = No puedes cerrar desde aquí la sesión del dispositivo que estás usando. Usa «Cerrar sesión».
error-unavailable = Ahora mismo no podemos acceder al registro de sesiones. No se ha cambiado nada; inténtalo de nuevo en un momento.
error-cross-site = Esta petición venía de otro sitio y se ha rechazado.
error-generic = Algo ha salido mal. Inténtalo de nuevo.
error-bad-request = La petición no era válida y no se ha cambiado nada. Recarga la página y vuelve a intentarlo.
error-overloaded = Ahora mismo estamos comprobando demasiados intentos de inicio de sesión. Vuelve a intentarlo en unos segundos.

history-title = Historial de accesos
history-intro = Inicios y cierres de sesión e intentos fallidos en tu cuenta, del más reciente al más antiguo.
live-history-updated = Tu historial de accesos tiene entradas nuevas.
history-see-all = Ver todo
history-empty = Todavía no hay actividad de acceso.
history-loading = Cargando tu historial de accesos…
history-newer = Más recientes
history-older = Más antiguos
history-pages = Páginas del historial de accesos
history-back = Volver a tus dispositivos
event-login = Inicio de sesión
event-failed_login = Intento de acceso fallido
event-failed_login-reauth_failed = Contraseña incorrecta al confirmarla
event-failed_login-password_change_failed = Contraseña actual incorrecta al cambiarla
event-logout = Cierre de sesión
event-revoked = Sesión revocada
event-expired = Sesión caducada
event-password_changed = Contraseña cambiada
event-other = Actividad de la cuenta
reason-invalid_credentials = correo o contraseña incorrectos
reason-invalid_code = código incorrecto
reason-rate_limited = demasiados intentos
reason-user_revoked = cerrada desde otro dispositivo
reason-logout_everywhere = cerradas todas desde otro dispositivo
reason-password_change = contraseña cambiada
reason-admin_revoked = cerrada por un administrador
reason-account_rate_limited = demasiados intentos en esta cuenta
reason-session_rate_limited = demasiadas comprobaciones de contraseña desde esta sesión
reason-address_rate_limited = demasiados intentos desde esta dirección
reason-overloaded = servidor ocupado, inténtalo de nuevo en un momento
reason-reauth_failed = contraseña incorrecta al confirmarla
reason-password_change_failed = contraseña actual incorrecta
reason-access_denied = acceso denegado
reason-logout = sesión cerrada
reason-password_reset = contraseña restablecida
reason-account_disabled = cuenta desactivada
reason-expired = caducada
reason-pruned = se superó el límite de dispositivos conectados
reason-superseded = sustituida por un inicio de sesión más reciente en el mismo dispositivo
new-device = Dispositivo nuevo
date-time = { $date }, { $time } UTC
auth-method-oauth = { $provider }
auth-method-sso = Inicio único con { $provider }
auth-method-passkey = Llave de acceso
auth-method-magic_link = Enlace mágico
auth-method-otp = Código de un solo uso
auth-method-google_one_tap = Google One Tap
auth-method-token = Token de API
auth-method-title = Cómo se inició esta sesión
last-used = Último usado
device-name-bot = Bot ({ $name })
device-name-app-on = { $app } en { $place }
device-name-model-os = { $model } ({ $os })
location-title = Ubicación aproximada, según la dirección IP
ip-short = IP { $ip }
error-reauth-required = Por seguridad, confirma tu contraseña antes de cerrar sesiones de otros dispositivos.
confirm-password-link = Confirma tu contraseña

second-factor = verificación en dos pasos: { $factor }
factor-totp = app de autenticación
factor-webauthn = llave de seguridad
factor-recovery_code = código de recuperación
factor-sms = SMS
factor-email_code = código por correo

session-title = Sesión
session-gone = Esta sesión ha terminado o no es tuya.
session-method = Inicio de sesión con
session-first = Sesión iniciada
session-last = Última actividad
session-current-note = Este es el dispositivo que estás usando. Para terminar esta sesión, sal de tu cuenta.
session-events = Actividad de esta sesión
auth-method-password = Contraseña
device-link-title = Detalles de { $device }
