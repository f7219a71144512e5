"""Users, their role grants on the organization tree, and personal API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # Set when someone else chose the password (new account, reset): the user must replace it first.
    must_change_password = models.BooleanField(_("须修改密码"), default=False)

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    """Roles of domain.md §9.3 and PRODUCT.md; 三权分立 keeps system, security and audit admins apart."""

    DISTRICT_ADMIN = "district_admin", _("区委组织部管理员")
    TOWN_STAFF = "town_staff", _("镇街工作人员")
    VILLAGE_STAFF = "village_staff", _("村（社区）工作人员")
    SUPERVISION = "supervision", _("村务监督委员会")
    GRID_WORKER = "grid_worker", _("网格员")
    PARTY_MEMBER = "party_member", _("党员")
    UNIT_LIAISON = "unit_liaison", _("单位联络员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDITOR = "auditor", _("审计管理员")


class RoleGrant(models.Model):
    """A role held on one organization; it covers that organization's whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="grants")
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization", "role"], name="unique_role_grant")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.organization.name}"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
