"""Workday HCM: the person system of record (workers, supervisory organizations, cost centers),
read by SOAP Get_Workers with transaction-log windows or by a Reports-as-a-Service custom report,
and a sandbox tenant that speaks both."""
