"""Microsoft 365 source: Entra ID users (delta), licences, group memberships, sign-in activity and
Intune managed devices, read through Microsoft Graph v1.0 with an MSAL client-credentials token;
and a sandbox tenant that fakes Entra ID and Graph over HTTPS."""
