# La página de administración (/admin/sessions) del sitio de demostración.
admin-title = Consola de seguridad
admin-intro = Todos los dispositivos con sesión iniciada en todas las cuentas, y el registro de inicios de sesión para detectar intentos de robo de cuentas.
admin-nav = Administración
admin-activity-title = Actividad de inicio de sesión, últimos 7 días
admin-views = Vistas de la consola
admin-loading = Cargando…
admin-pages = Páginas
admin-page-prev = ← Anterior
admin-page-next = Siguiente →
admin-page-number = Página { $page }
admin-tab-sessions = Sesiones
admin-tab-failures = Intentos fallidos
admin-tab-new-devices = Dispositivos nuevos
admin-tab-countries = Países
admin-tab-history = Historial de una cuenta
admin-chart-title = Inicios de sesión e intentos fallidos por hora en los últimos 7 días
admin-chart-summary = { $logins ->
        [one] 1 inicio de sesión
       *[other] { $logins } inicios de sesión
    } y { $failures ->
        [one] 1 intento fallido
       *[other] { $failures } intentos fallidos
    } en 7 días
admin-chart-logins = Inicios de sesión
admin-chart-failures = Intentos fallidos
admin-chart-day = { $day } { $month }
error-admin-state = Elige un estado de la lista.
error-admin-no-account = Ninguna cuenta tiene ese correo electrónico.
error-admin-ip = Eso no es una dirección IP. Escribe una como 203.0.113.7 o 2001:db8::1.
error-admin-country = Escribe un código de país de dos letras, como ES.
admin-sessions-title = Sesiones
admin-sessions-empty = Ninguna sesión coincide con estos filtros.
admin-revoked-one = La sesión ha terminado. Ese dispositivo quedará desconectado en su próxima petición.
admin-revoked-all = { $count ->
        [0] Esa cuenta no tenía sesiones abiertas.
        [one] Se ha cerrado 1 sesión.
       *[other] Se han cerrado { $count } sesiones.
    }
admin-col-account = Cuenta
admin-col-device = Dispositivo
admin-col-source = Ubicación e IP
admin-col-signed-in = Inicio de sesión
admin-col-last-active = Última actividad
admin-col-ended = Terminada
admin-col-actions = Acciones
admin-filters = Filtrar sesiones
admin-filter-email = Correo de la cuenta
admin-filter-ip = Dirección IP
admin-filter-country = País
admin-filter-method = Método de acceso
admin-filter-device = Tipo de dispositivo
admin-filter-state = Estado
admin-filter-apply = Aplicar filtros
admin-filter-clear = Borrar
admin-any = Cualquiera
admin-only-user = Solo esta cuenta: las sesiones de { $email }
admin-only-user-short = Solo esta cuenta
admin-deleted-user = Cuenta eliminada ({ $id })
admin-revoke = Revocar
admin-revoke-all = Revocar todas
admin-revoke-label = Revocar { $device } de { $email }
admin-revoke-all-label = Revocar todas las sesiones de { $email }
admin-method-password = Contraseña
admin-method-oauth = OAuth
admin-method-sso = Inicio de sesión único
admin-method-passkey = Llave de acceso
admin-method-magic_link = Enlace por correo
admin-method-otp = Código de un solo uso
admin-method-google_one_tap = Google One Tap
admin-method-token = Token de API
admin-method-unknown = Desconocido
admin-state-live = Con sesión iniciada
admin-state-active = Activas en la última hora
admin-state-idle = Inactivas desde hace más de una hora
admin-state-ended = Terminadas
admin-failures-title = Intentos fallidos, últimas 24 horas
admin-failures-intro = Muchos intentos desde una dirección apuntan a adivinación de contraseñas; una cuenta probada desde muchas direcciones apunta a relleno de credenciales.
admin-group-by = Agrupar por
admin-by-ip = Por dirección IP
admin-by-identity = Por cuenta
admin-failures-empty = No hubo intentos fallidos en las últimas 24 horas.
admin-col-identity = Correo tal como se escribió
admin-col-addresses = Direcciones
admin-col-address = Dirección IP
admin-col-identities = Cuentas probadas
admin-col-attempts = Intentos
admin-col-countries = Países
admin-col-first = Primera vez
admin-col-last = Última vez
admin-new-devices-title = Inicios de sesión desde dispositivos nuevos, últimos 7 días
admin-new-devices-intro = Inicios de sesión desde un navegador, una aplicación o un tipo de dispositivo que la cuenta no había usado antes.
admin-new-devices-empty = No hubo inicios de sesión desde dispositivos nuevos en los últimos 7 días.
admin-col-when = Cuándo
admin-countries-title = Inicios de sesión por país, últimas 24 horas
admin-countries-intro = Las ubicaciones son aproximadas, obtenidas a partir de la dirección IP.
admin-countries-empty = No hubo inicios de sesión en las últimas 24 horas.
admin-country-unknown = Ubicación desconocida
admin-col-country = País
admin-col-logins = Inicios de sesión
admin-col-failures = Fallidos
admin-col-users = Cuentas
admin-history-title = Historial de una cuenta
admin-history-show = Ver historial
admin-history-prompt = Escribe el correo de una cuenta para ver todo su registro, incluidos los intentos fallidos escritos contra ella.
admin-history-summary = { $email }: { $count ->
        [0] ninguna sesión abierta
        [one] 1 sesión abierta
       *[other] { $count } sesiones abiertas
    }
