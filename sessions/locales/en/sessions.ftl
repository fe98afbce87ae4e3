# Sessions & devices: strings of the embeddable library.

devices-title = Your devices
devices-intro = These are the browsers and apps signed in to your account. If you don't recognize one, log it out.
devices-empty = You are not signed in anywhere else.
devices-loading = Loading your devices…
this-device = This device
active-now = Active now
active-ago = Active { $n ->
    [one] { $n } { $unit ->
        [minute] minute
        [hour] hour
       *[day] day
    } ago
   *[other] { $n } { $unit ->
        [minute] minutes
        [hour] hours
       *[day] days
    } ago
}
signed-in-on = Signed in { $date }
ip-address = IP address { $ip }
log-out = Log out
log-out-device = Log out { $device }
sign-out-others = Sign out of all other sessions
sign-out-others-hint = Every other browser and app is signed out at once. This one stays signed in.
revoked-device = { $device } has been logged out.
live-signed-in = { $device } just signed in.
live-signed-in-from = { $device } just signed in from { $place }.
revoked-others = { $count ->
    [0] No other sessions were signed in.
    [one] One other session has been signed out.
   *[other] { $count } other sessions have been signed out.
}
revoked-others-more = The other sessions have been signed out.
revoked-one = The device has been logged out.
reauth-continue = Password confirmed. Finish what you started:
reauth-dialog-intro = For your security, enter your password to log devices out. This device stays signed in.
reauth-dialog-password = Password
reauth-dialog-confirm = Confirm and log out
cancel = Cancel

device-name = { $browser } { $version } on { $os }
device-name-no-version = { $browser } on { $os }
device-name-browser = { $browser } { $version }
device-name-os = { $os } device
unknown-device = Unknown device

device-type-desktop = Computer
device-type-smartphone = Phone
device-type-tablet = Tablet
device-type-bot = Bot
device-type-unknown = Device

date-long = { $month } { $day }, { $year }
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec

error-unauthorized = Your session has ended. Please sign in again.
error-not-found = That session no longer exists or isn't yours.
error-cannot-revoke-current = You can't log out the device you're using from here. Use Sign out instead.
error-unavailable = We can't reach the session store right now. Nothing was changed; please try again in a moment.
error-cross-site = This request came from another site and was refused.
error-generic = Something went wrong. Please try again.
error-bad-request = That request was malformed, so nothing was changed. Reload the page and try again.
error-overloaded = Too many sign-in attempts are being checked right now. Try again in a few seconds.

history-title = Login history
history-intro = Sign-ins, sign-outs and failed attempts on your account, newest first.
live-history-updated = Your login history has new entries.
history-see-all = See all
history-empty = No sign-in activity yet.
history-loading = Loading your login history…
history-newer = Newer
history-older = Older
history-pages = Login history pages
history-back = Back to your devices
event-login = Signed in
event-failed_login = Failed sign-in attempt
event-failed_login-reauth_failed = Wrong password when confirming it
event-failed_login-password_change_failed = Wrong current password when changing it
event-logout = Signed out
event-revoked = Session revoked
event-expired = Session expired
event-password_changed = Password changed
event-other = Account activity
reason-invalid_credentials = wrong email or password
reason-invalid_code = wrong code
reason-rate_limited = too many attempts
reason-user_revoked = logged out from another device
reason-logout_everywhere = signed out from another device
reason-password_change = password changed
reason-admin_revoked = ended by an administrator
reason-account_rate_limited = too many attempts on this account
reason-session_rate_limited = too many password checks from this session
reason-address_rate_limited = too many attempts from this address
reason-overloaded = server busy, try again shortly
reason-reauth_failed = wrong password when confirming it
reason-password_change_failed = wrong current password
reason-access_denied = access denied
reason-logout = signed out
reason-password_reset = password reset
reason-account_disabled = account disabled
reason-expired = expired
reason-pruned = over the limit of signed-in devices
reason-superseded = replaced by a newer sign-in on the same device
new-device = New device
date-time = { $date }, { $time } UTC
auth-method-oauth = { $provider }
auth-method-sso = { $provider } single sign-on
auth-method-passkey = Passkey
auth-method-magic_link = Magic link
auth-method-otp = One-time code
auth-method-google_one_tap = Google One Tap
auth-method-token = API token
auth-method-title = How this session signed in
last-used = Last used
device-name-bot = Bot ({ $name })
device-name-app-on = { $app } on { $place }
device-name-model-os = { $model } ({ $os })
location-title = Approximate location, based on IP address
ip-short = IP { $ip }
error-reauth-required = For your security, confirm your password before logging out devices.
confirm-password-link = Confirm your password

second-factor = two-step: { $factor }
factor-totp = authenticator app
factor-webauthn = security key
factor-recovery_code = recovery code
factor-sms = text message
factor-email_code = email code

session-title = Session
session-gone = This session has ended, or it is not one of yours.
session-method = Signed in with
session-first = Signed in
session-last = Last active
session-current-note = This is the device you are using now. To end this session, sign out.
session-events = Activity of this session
auth-method-password = Password
device-link-title = Details of { $device }
