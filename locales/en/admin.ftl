# The admin triage page (/admin/sessions) of the demo site.
admin-title = Security console
admin-intro = Every signed-in device across all accounts, and the sign-in trail for spotting account-takeover attempts.
admin-nav = Admin
admin-activity-title = Sign-in activity, last 7 days
admin-views = Console views
admin-loading = Loading…
admin-pages = Pages
admin-page-prev = ← Previous
admin-page-next = Next →
admin-page-number = Page { $page }
admin-tab-sessions = Sessions
admin-tab-failures = Failed sign-ins
admin-tab-new-devices = New devices
admin-tab-countries = Countries
admin-tab-history = Account history
admin-chart-title = Sign-ins and failed sign-ins per hour over the last 7 days
admin-chart-summary = { $logins ->
        [one] 1 sign-in
       *[other] { $logins } sign-ins
    } and { $failures ->
        [one] 1 failed attempt
       *[other] { $failures } failed attempts
    } in 7 days
admin-chart-logins = Sign-ins
admin-chart-failures = Failed sign-ins
admin-chart-day = { $month } { $day }
error-admin-state = Choose a status from the list.
error-admin-no-account = No account has that email address.
error-admin-ip = That isn't an IP address. Enter one like 203.0.113.7 or 2001:db8::1.
error-admin-country = Enter a two-letter country code, such as GB.
admin-sessions-title = Sessions
admin-sessions-empty = No sessions match these filters.
admin-revoked-one = The session was ended. That device is signed out on its next request.
admin-revoked-all = { $count ->
        [0] That account had no sessions left to end.
        [one] 1 session was ended.
       *[other] { $count } sessions were ended.
    }
admin-col-account = Account
admin-col-device = Device
admin-col-source = Location and IP
admin-col-signed-in = Signed in
admin-col-last-active = Last active
admin-col-ended = Ended
admin-col-actions = Actions
admin-filters = Filter sessions
admin-filter-email = Account email
admin-filter-ip = IP address
admin-filter-country = Country
admin-filter-method = Sign-in method
admin-filter-device = Device type
admin-filter-state = Status
admin-filter-apply = Apply filters
admin-filter-clear = Clear
admin-any = Any
admin-only-user = Only this account: the sessions of { $email }
admin-only-user-short = Only this account
admin-deleted-user = Deleted account ({ $id })
admin-revoke = Revoke
admin-revoke-all = Revoke all
admin-revoke-label = Revoke { $device } of { $email }
admin-revoke-all-label = Revoke all sessions of { $email }
admin-method-password = Password
admin-method-oauth = OAuth
admin-method-sso = Single sign-on
admin-method-passkey = Passkey
admin-method-magic_link = Email link
admin-method-otp = One-time code
admin-method-google_one_tap = Google One Tap
admin-method-token = API token
admin-method-unknown = Unknown
admin-state-live = Signed in
admin-state-active = Active in the last hour
admin-state-idle = Idle for over an hour
admin-state-ended = Ended
admin-failures-title = Failed sign-ins, last 24 hours
admin-failures-intro = Many attempts from one address suggest password guessing; one account tried from many addresses suggests credential stuffing.
admin-group-by = Group by
admin-by-ip = By IP address
admin-by-identity = By account
admin-failures-empty = No failed sign-ins in the last 24 hours.
admin-col-identity = Email as typed
admin-col-addresses = Addresses
admin-col-address = IP address
admin-col-identities = Accounts tried
admin-col-attempts = Attempts
admin-col-countries = Countries
admin-col-first = First seen
admin-col-last = Last seen
admin-new-devices-title = Sign-ins from new devices, last 7 days
admin-new-devices-intro = Sign-ins from a browser, app or device type the account had not used before.
admin-new-devices-empty = No sign-ins from new devices in the last 7 days.
admin-col-when = When
admin-countries-title = Sign-ins by country, last 24 hours
admin-countries-intro = Locations are approximate, looked up from the IP address.
admin-countries-empty = No sign-ins in the last 24 hours.
admin-country-unknown = Unknown location
admin-col-country = Country
admin-col-logins = Sign-ins
admin-col-failures = Failed
admin-col-users = Accounts
admin-history-title = Account history
admin-history-show = Show history
admin-history-prompt = Enter an account's email to see its whole trail, including failed attempts typed against it.
admin-history-summary = { $email }: { $count ->
        [0] no live sessions
        [one] 1 live session
       *[other] { $count } live sessions
    }
