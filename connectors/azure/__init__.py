"""Azure: subscriptions, resource groups and resources (ARM listing or Resource Graph), read with
azure-identity and the azure-mgmt clients; and a sandbox tenant serving Entra ID, ARM and
Resource Graph over HTTPS."""
