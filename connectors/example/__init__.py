"""A tiny reference connector (a people directory API) and its sandbox: the template to copy
when adding a connector, and the connector the contract kit is proven on."""
