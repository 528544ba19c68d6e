"""The demo agency's AWS estate, built through the APIs from the shared roster.

Deterministic from (seed, scale): an organization with one member account per department (and
IT's sandbox account at scale 90+: ten accounts with the management account), a closed account; the hub's user and read-only role exactly as the README
prescribes; IAM users for part of the staff, with every way the owner shows up (Owner/owner
tags, an EmployeeId tag, the user name being the email, nothing at all); resources in three
regions tagged Owner / CostCenter the way real estates are - mostly right, sometimes an employee
ID, a creator's user name, a placeholder, or no tag.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import timedelta

from moto.iam.models import iam_backends

from connectors.aws import policies
from connectors.aws.sandbox.admin import ADMIN_ROLE, SandboxAdmin
from core import clock
from core.sandbox.org import DEPARTMENTS, Department, Person, roster

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
HUB_USER = "itsm-hub"
ROLE_NAME = "ItsmHubReadOnly"
EXTERNAL_ID = "itsm-hub-sandbox-3f9a"
AGGREGATOR = "agency-org-aggregator"
ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@dataclass
class Estate:
    """What the seed built (ids the tests and admin ops refer to)."""

    management: str
    members: dict[str, str] = field(default_factory=dict)  # account ID -> department code
    closed: str = ""  # a closed (SUSPENDED) member account: listed, never entered
    hub_key_id: str = ""
    hub_secret: str = ""
    special_users: dict[str, str] = field(default_factory=dict)  # purpose -> user name (management)
    resources: int = 0
    lambda_role: dict[str, str] = field(default_factory=dict)  # account -> role ARN

    @property
    def accounts(self) -> list[str]:
        return sorted([self.management, *self.members])

    def account_of(self, department: str) -> str:
        """The department's first (production) account, or the management account."""
        for account, code in self.members.items():
            if code == department:
                return account
        return self.management


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


class EstateBuilder:
    def __init__(self, admin: SandboxAdmin, seed: int, scale: int, resources_per_person: float) -> None:
        self.admin = admin
        self.rng = random.Random(f"aws:{seed}")
        self.people = roster(seed, scale)
        self.estate = Estate(management=admin.management)
        self.member_count = max(2, min(9, scale // 10))
        self.resources_per_person = resources_per_person

    def build(self) -> Estate:
        heads: dict[str, Person] = {}
        for person in self.people:  # the roster lists each department's head first
            heads.setdefault(person.department.code, person)
        self._organization(heads)
        self._hub_access()
        self._special_users(heads)
        for person in self.people:
            if person.status != "pre_hire":
                self._person(person)
        return self.estate

    # -- organization and hub access ----------------------------------------------------------
    def _organization(self, heads: dict[str, Person]) -> None:
        org = self.admin.client("organizations")
        org.create_organization(FeatureSet="ALL")
        for i in range(self.member_count):  # one account per department, then IT's sandbox
            department = (
                DEPARTMENTS[i] if i < len(DEPARTMENTS) else next(d for d in DEPARTMENTS if d.code == "IT")
            )
            env = (
                "sandbox"
                if i >= len(DEPARTMENTS)
                else "prod"
                if department.code in ("FIN", "HR", "PD", "IT")
                else "apps"
            )
            name = f"agency-{department.code.lower()}-{env}"
            status = org.create_account(AccountName=name, Email=f"aws-{name}@agency.example.gov")[
                "CreateAccountStatus"
            ]
            account = str(status["AccountId"])
            self.estate.members[account] = department.code
            head = heads.get(department.code)
            tags = {"CostCenter": department.cost_center, "Department": department.code}
            if head is not None:
                tags["Owner"] = head.email
            org.tag_resource(ResourceId=account, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
            self._organization_access_role(account)
        it_head = heads.get("IT")
        management_tags = {"CostCenter": "CC1300", **({"Owner": it_head.email} if it_head else {})}
        org.tag_resource(
            ResourceId=self.estate.management,
            Tags=[{"Key": k, "Value": v} for k, v in management_tags.items()],
        )
        legacy = org.create_account(
            AccountName="agency-legacy-sandbox", Email="aws-legacy@agency.example.gov"
        )
        self.estate.closed = str(legacy["CreateAccountStatus"]["AccountId"])
        org.close_account(AccountId=self.estate.closed)

    def _organization_access_role(self, account: str) -> None:
        """AWS Organizations creates this role in every new account with administrator rights;
        moto creates it without a policy, so the sandbox adds the policy AWS attaches."""
        iam_backends[account]["aws"].put_role_policy(ADMIN_ROLE, "AdministratorAccess", ADMIN_POLICY)

    def _hub_access(self) -> None:
        iam = self.admin.client("iam")
        user = iam.create_user(
            UserName=HUB_USER, Tags=[{"Key": "Purpose", "Value": "ITSM hub inventory (read-only)"}]
        )
        iam.put_user_policy(
            UserName=HUB_USER,
            PolicyName="ItsmHubInventory",
            PolicyDocument=json.dumps(policies.hub_principal_policy(ROLE_NAME)),
        )
        key = iam.create_access_key(UserName=HUB_USER)["AccessKey"]
        self.estate.hub_key_id, self.estate.hub_secret = key["AccessKeyId"], key["SecretAccessKey"]
        trust = json.dumps(policies.trust_policy(user["User"]["Arn"], EXTERNAL_ID))
        for account in self.estate.accounts:
            account_iam = self.admin.client("iam", account)
            account_iam.create_role(
                RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust, Description="ITSM hub read-only"
            )
            account_iam.put_role_policy(
                RoleName=ROLE_NAME,
                PolicyName="ItsmHubReadOnly",
                PolicyDocument=json.dumps(policies.read_only_role_policy()),
            )
            lambda_trust = json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})  # fmt: skip
            role = account_iam.create_role(
                RoleName="lambda-basic-execution", AssumeRolePolicyDocument=lambda_trust
            )
            self.estate.lambda_role[account] = role["Role"]["Arn"]
        self.admin.client("config").put_configuration_aggregator(
            ConfigurationAggregatorName=AGGREGATOR,
            OrganizationAggregationSource={
                "RoleArn": f"arn:aws:iam::{self.estate.management}:role/aws-config-aggregator",
                "AllAwsRegions": True,
            },
        )

    def _special_users(self, heads: dict[str, Person]) -> None:
        """The users an offboarding review must catch, in the management account."""
        mgmt, now = self.estate.management, clock.now()
        it_head = heads.get("IT")
        self.admin.create_user(mgmt, "svc-backup", access_key=True)  # no owner at all
        self.admin.backdate(mgmt, "svc-backup", created=now - timedelta(days=900), key_created=now - timedelta(days=600),
                            key_last_used=now - timedelta(days=200))  # fmt: skip
        self.estate.special_users["stale_key"] = "svc-backup"
        owner = {"Owner": it_head.email} if it_head else {}
        self.admin.create_user(mgmt, "ci-deployer", tags=owner, access_key=True)
        self.admin.create_access_key(mgmt, "ci-deployer")  # a second key, the first one then deactivated
        iam = self.admin.client("iam")
        first = iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"][0]["AccessKeyId"]
        iam.update_access_key(UserName="ci-deployer", AccessKeyId=first, Status="Inactive")
        self.estate.special_users["two_keys"] = "ci-deployer"
        self.admin.create_user(
            mgmt, "contractor-temp", tags={"EmployeeId": "contractor"}, console_password=True
        )
        self.estate.special_users["bad_employee_tag"] = "contractor-temp"

    # -- people ---------------------------------------------------------------------------------
    def _person(self, person: Person) -> None:
        account = self.estate.account_of(person.department.code)
        local = person.email.split("@", 1)[0]
        if self.rng.random() < 0.35:
            self._iam_user(person, account, local)
        budget = self.resources_per_person * (1.0 if person.department.code in ("IT", "PW", "FIN") else 0.6)
        while budget > 0:
            if self.rng.random() < budget:
                self._resource(person, account, local)
            budget -= 1.0

    def _iam_user(self, person: Person, account: str, local: str) -> None:
        variant = self.rng.random()
        if variant < 0.4:
            name, tags = local, {"Owner": person.email, "EmployeeId": person.employee_id}
        elif variant < 0.6:
            name, tags = person.email, {}
        elif variant < 0.8:
            name, tags = local, {"owner": person.email}
        else:
            name, tags = local, {"EmployeeId": person.employee_id}
        console = self.rng.random() < 0.6
        self.admin.create_user(account, name, tags=tags, console_password=console,
                               mfa=console and self.rng.random() < 0.5, access_key=self.rng.random() < 0.4)  # fmt: skip
        now = clock.now()
        signed_in = now - timedelta(days=self.rng.randint(0, 40)) if console else None
        hired = now - timedelta(days=(clock.today() - person.hire_date).days)
        self.admin.backdate(account, name, created=hired, password_last_used=signed_in)

    def _owner_tags(self, person: Person, department: Department) -> dict[str, str]:
        roll = self.rng.random()
        tags: dict[str, str] = {}
        if roll < 0.6:
            tags["Owner"] = person.email
        elif roll < 0.72:
            tags["Owner"] = f" {person.employee_id.lower()} "  # an employee ID, typed by hand
        elif roll < 0.82:
            tags["CreatedBy"] = person.email.split("@", 1)[0]
        elif roll < 0.87:
            tags["Owner"] = "TBD"
        if self.rng.random() < 0.9:
            tags["CostCenter"] = department.cost_center
        return tags

    def _resource(self, person: Person, account: str, local: str) -> None:
        region = self.rng.choice(REGIONS)
        department = person.department
        tags = self._owner_tags(person, department)
        kind, n = self.rng.random(), self.estate.resources
        if kind < 0.6:
            count = self.rng.choice([1, 1, 1, 2, 3])
            name = (
                f"{department.code.lower()}-{self.rng.choice(['app', 'gis', 'web', 'batch', 'jump'])}-{n:04d}"
            )
            self.admin.launch_instances(account, region, count, {"Name": name, **tags},
                                        self.rng.choice(["t3.micro", "t3.large", "m6i.xlarge"]))  # fmt: skip
            self.estate.resources += count
            return
        if kind < 0.85:
            self.admin.create_bucket(
                account, region, _slug(f"agency-{department.code}-{local}-{n:04d}")[:63], tags
            )
        elif kind < 0.92:
            self.admin.create_db(account, region, _slug(f"{department.code}-db-{n:04d}"), tags)
        else:
            self.admin.create_function(account, region, _slug(f"{department.code}-{local}-fn-{n:04d}")[:64], tags,
                                       self.estate.lambda_role[account])  # fmt: skip
        self.estate.resources += 1
