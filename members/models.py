from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from treebeard.mp_tree import MP_Node

from unionportal.core.pii import EncryptedTextField, keep_mask, keyed_hash, mask_id_number, mask_phone
from unionportal.core.storage import private_storage

from . import rules


def phone_hash(phone: str) -> str:
    return keyed_hash("phone", rules.normalize_phone(phone))


def id_number_hash(id_number: str) -> str:
    return keyed_hash("id_number", rules.normalize_id_number(id_number))


class UserManager(BaseUserManager):
    def create_user(self, phone, password=None, **fields):
        phone = rules.normalize_phone(phone)
        user = self.model(phone=phone, phone_hash=phone_hash(phone), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **fields)

    def get_by_phone(self, phone):
        return self.get(phone_hash=phone_hash(phone))


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who logs in: members and staff alike, by mobile number and password.

    The phone is stored encrypted; `phone_hash` (keyed) makes it unique and findable.
    """

    phone = EncryptedTextField(_("mobile number"))
    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The masked phone as every screen shows it (138****5678), kept on each save: showing a
    # user or a list of them then decrypts nothing.
    phone_masked = models.CharField(max_length=32, blank=True, default="", editable=False)
    name = models.CharField(_("name"), max_length=64, blank=True)
    is_staff = models.BooleanField(pgettext_lazy("portal user", "staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(pgettext_lazy("portal user", "date joined"), default=timezone.now)
    preferred_language = models.CharField(_("language"), max_length=8, default="zh-hans")

    USERNAME_FIELD = "phone_hash"
    REQUIRED_FIELDS = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return f"{self.name or _('user')} ({self.masked_phone})"

    @property
    def masked_phone(self) -> str:
        return self.phone_masked or mask_phone(self.phone)

    def save(self, *args, update_fields=None, **kwargs):
        update_fields = keep_mask(self, "phone", "phone_masked", mask_phone, update_fields)
        super().save(*args, update_fields=update_fields, **kwargs)

    def set_phone(self, phone: str) -> None:
        self.phone = rules.normalize_phone(phone)
        self.phone_hash, self.phone_masked = phone_hash(self.phone), mask_phone(self.phone)

    def get_username(self):
        return self.masked_phone


class Organization(MP_Node):
    """A node of the union tree. `path` (materialized path) makes subtree queries a prefix match."""

    class Kind(models.TextChoices):
        CITY = "city", _("City federation")
        DISTRICT = "district", _("District/county federation")
        STREET = "street", _("Street/town union")
        ENTERPRISE = "enterprise", _("Enterprise union")
        INDUSTRY = "industry", _("Industry union")
        JOINT = "joint", _("Joint union")

    GRASSROOTS_KINDS = (Kind.ENTERPRISE, Kind.INDUSTRY, Kind.JOINT)

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=128)
    division_code = models.CharField(_("administrative division code"), max_length=12, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True,
        help_text=_("The employer's 18-character code (enterprise unions)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Denormalised for the join picker: names from the root down to the parent, and the
    # one- and two-character pieces of every name on the way (Chinese has no word breaks,
    # so a GIN index over these answers "contains 丰泽" without scanning the table).
    ancestor_names = ArrayField(models.CharField(max_length=128), default=list, blank=True, editable=False)
    search_tokens = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)

    # Scoping: an organisation is in the tree of every organisation whose path prefixes its own.
    SCOPE_PATH = "path"

    class Meta:
        verbose_name = _("union organisation")
        verbose_name_plural = _("union organisations")
        indexes = [
            models.Index(fields=["kind"], name="org_kind_idx"),
            GinIndex(fields=["search_tokens"], name="org_search_tokens_gin"),
            # A union's children (depth one below, path under it): the tree filter on every
            # back-office list. By path alone, the city's children meant reading every union.
            models.Index(fields=["depth", "path"], name="org_depth_path_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code="") | Q(credit_code__regex=r"^[0-9A-HJ-NP-RTUWXY]{18}$"),
                name="org_credit_code_format",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_grassroots(self) -> bool:
        return self.kind in self.GRASSROOTS_KINDS

    @property
    def full_name(self) -> str:
        return " / ".join([*self.ancestor_names, self.name])

    def save(self, *args, **kwargs):
        # treebeard sets `path` before saving a new node, so the ancestors are known here.
        steplen = self.steplen
        ancestor_paths = [self.path[:end] for end in range(steplen, len(self.path), steplen)]
        names = dict(Organization.objects.filter(path__in=ancestor_paths).values_list("path", "name"))
        self.ancestor_names = [names[path] for path in ancestor_paths if path in names]
        self.search_tokens = rules.search_tokens([*self.ancestor_names, self.name])
        renamed = self.pk is not None and Organization.objects.filter(pk=self.pk).exclude(name=self.name).exists()
        super().save(*args, **kwargs)
        if renamed:
            self.descendants_refresh_names()

    def descendants_refresh_names(self) -> None:
        """After a rename: the ancestor names stored below this node change too."""
        names = {self.path: self.name, **{path: name for path, name in zip(
            [self.path[:end] for end in range(self.steplen, len(self.path), self.steplen)], self.ancestor_names)}}
        descendants = list(Organization.objects.filter(path__startswith=self.path, depth__gt=self.depth).order_by("path"))
        for node in descendants:
            node.ancestor_names = [names[node.path[:end]] for end in range(self.steplen, len(node.path), self.steplen)]
            node.search_tokens = rules.search_tokens([*node.ancestor_names, node.name])
            names[node.path] = node.name
        Organization.objects.bulk_update(descendants, ["ancestor_names", "search_tokens"], batch_size=1000)


class StaffAssignment(models.Model):
    """A staff member's role at one organisation: they see it and everything below it."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        REVIEWER = "reviewer", _("Reviewer")
        VIEWER = "viewer", _("Viewer")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_assignment", verbose_name=_("user"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="staff_assignments", verbose_name=_("organisation"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    can_reveal_personal_data = models.BooleanField(
        _("may reveal full ID and phone numbers"), default=False,
        help_text=_("Each reveal is written to the personal data access log."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class WorkerCategory(models.TextChoices):
    EMPLOYEE = "employee", _("Regular employee")
    DELIVERY_RIDER = "delivery_rider", _("Delivery rider")
    COURIER = "courier", _("Courier")
    RIDE_HAILING_DRIVER = "ride_hailing_driver", _("Ride-hailing driver")
    TRUCK_DRIVER = "truck_driver", _("Truck driver")
    SANITATION_WORKER = "sanitation_worker", _("Sanitation worker")
    CONSTRUCTION_WORKER = "construction_worker", _("Construction worker")
    DOMESTIC_WORKER = "domestic_worker", _("Domestic worker")
    OTHER = "other", _("Other")


def members_union_field():
    """The member's union on a row that belongs to a member (a claim, an enrolment, an aid year, a
    nomination), kept by the database (members.union_follows_member): written empty, filled in
    and moved with the member by PostgreSQL. Scoping reads it instead of each row's member."""
    return models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", editable=False, default=None,
        verbose_name=_("union"),
    )


class Member(models.Model):
    """A person's union membership; hangs off their user account."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")
        LEFT = "left", _("Left")

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class HonourLevel(models.TextChoices):
        NONE = "", _("None")
        NATIONAL = "national", _("National")
        PROVINCIAL = "provincial", _("Provincial")
        CITY = "city", _("City")
        COUNTY = "county", _("County")

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="member", verbose_name=_("user"))
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT,
        related_name="members", verbose_name=_("grassroots union"), db_index=False,
    )
    name = models.CharField(_("real name"), max_length=64)
    id_number = EncryptedTextField(_("resident ID number"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The masked ID number as every screen shows it (350502********1234), kept on each save.
    id_number_masked = models.CharField(max_length=32, blank=True, default="", editable=False)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    card_number = models.CharField(_("card number"), max_length=16, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    worker_category = models.CharField(_("worker category"), max_length=32, choices=WorkerCategory.choices)
    is_frontline = models.BooleanField(_("front-line worker"), default=False)
    is_technical = models.BooleanField(_("technical worker"), default=False)
    model_worker_level = models.CharField(_("model worker honour"), max_length=16, choices=HonourLevel.choices, blank=True, default="")
    has_hardship_file = models.BooleanField(_("hardship file"), default=False)
    joined_at = models.DateTimeField(_("applied at"), default=timezone.now)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("verified by"))
    rejection_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["status", "joined_at"], name="member_status_joined_idx"),
            models.Index(fields=["organization", "status"], name="member_org_status_idx"),
            models.Index(fields=["name"], name="member_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["worker_category"], name="member_category_idx"),
        ]
        constraints = [
            # What a member's enrolments, claims, aid years and nominations point at, so that
            # their union moves with the member (members.union_follows_member); it also answers
            # "which union is member N in" without reading the member table.
            models.UniqueConstraint(fields=["id", "organization"], name="member_in_union_key"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="member_rejected_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.card_number})"

    @property
    def masked_id_number(self) -> str:
        return self.id_number_masked or mask_id_number(self.id_number)

    def save(self, *args, update_fields=None, **kwargs):
        update_fields = keep_mask(self, "id_number", "id_number_masked", mask_id_number, update_fields)
        super().save(*args, update_fields=update_fields, **kwargs)

    def set_id_number(self, id_number: str) -> None:
        self.id_number = rules.normalize_id_number(id_number)
        self.id_number_hash, self.id_number_masked = id_number_hash(self.id_number), mask_id_number(self.id_number)


class PendingMember(Member):
    """The verification queue: the same rows, listed oldest application first."""

    class Meta:
        proxy = True
        verbose_name = _("membership application")
        verbose_name_plural = _("verification queue")


class MemberTransfer(models.Model):
    """History of a member's moves between grassroots unions (never rewritten)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("member"))
    from_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("from union"),
    )
    to_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("to union"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    transferred_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("transferred by"),
    )
    transferred_at = models.DateTimeField(_("transferred at"), default=timezone.now)

    SCOPE_PATH = "member__organization__path"

    class Meta:
        verbose_name = _("membership transfer")
        verbose_name_plural = _("membership transfers")
        ordering = ["-transferred_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_organization=models.F("to_organization")), name="transfer_changes_union",
            ),
        ]


class ConsentVersion(models.Model):
    """One published wording of the consent to process sensitive personal information.

    The newest published version is the one applicants must accept; old ones stay so
    every given consent points at the exact text the person agreed to.
    """

    version = models.CharField(_("version"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=128)
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("consent version")
        verbose_name_plural = _("consent versions")
        ordering = ["-published_at"]

    def __str__(self):
        return f"{self.title} ({self.version})"


class Consent(models.Model):
    """A person's consent to one version: which one, when; withdrawn when they leave."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="consents", verbose_name=_("user"), db_index=False,
    )
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="consents", verbose_name=_("version"))
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="consent_once_per_version")]


class PersonalDataAccess(models.Model):
    """Access log: each time a staff member revealed a full ID or phone number."""

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", _("resident ID number")
        PHONE = "phone", _("mobile number")

    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff member"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    accessed_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    organization_path = models.CharField(max_length=255, editable=False)

    SCOPE_PATH = "organization_path"

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-accessed_at"]


class RosterImport(models.Model):
    """An uploaded roster between preview and commit; its rows are kept encrypted."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Previewed")
        COMMITTED = "committed", _("Committed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("union"))
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by"))
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(max_length=64, editable=False)
    rows = EncryptedTextField(_("rows"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PREVIEW)
    created_count = models.PositiveIntegerField(_("members created"), default=0)
    skipped_count = models.PositiveIntegerField(_("rows skipped"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")


class MemberListWork(models.Model):
    """Work on the member list as a staff member filtered it, asked for in the back office and
    done later by a Celery worker: who asked, in which tree, with which filters, and when."""

    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"), db_index=False,
    )
    # The requester's tree when they asked: who else in the back office sees the row, and the
    # audit log's scope.
    organization_path = models.CharField(max_length=255, editable=False)
    # Encrypted: a search by a full ID or mobile number is a filter too.
    query_string = EncryptedTextField(_("list filters"), blank=True, editable=False)
    description = models.CharField(_("which members"), max_length=500, blank=True)
    failure = models.CharField(_("reason it failed"), max_length=255, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    SCOPE_PATH = "organization_path"

    class Meta:
        abstract = True
        ordering = ["-requested_at"]


class MemberExport(MemberListWork):
    """A masked roster workbook of the member list, written in the background.

    A district's hundreds of thousands of members take longer to write than a web request may
    last, and a city's two million need three sheets (a sheet holds 1,048,576 rows). The file is
    for the staff member who asked, and is deleted when it expires.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being written")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # The rows are read in the requester's tree as it stands when the file is written.
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(
        _("file"), upload_to="exports/members/", storage=private_storage, max_length=200, blank=True,
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), null=True, blank=True)

    class Meta(MemberListWork.Meta):
        verbose_name = _("member export")
        verbose_name_plural = _("member exports")
        indexes = [
            models.Index(fields=["requested_by", "-requested_at"], name="member_export_requester_idx"),
            models.Index(fields=["expires_at"], condition=Q(status="ready"), name="member_export_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(row_count__isnull=False) & Q(expires_at__isnull=False) & ~Q(file="")),
                name="member_export_ready_has_file",
            ),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.requested_at):%Y-%m-%d %H:%M} · {self.get_status_display()}"


class MemberBulkAction(MemberListWork):
    """Verifying, rejecting or transferring every member a list holds, done in the background.

    "Select all" on a district's list means tens or hundreds of thousands of members, each
    moved by the same service (locked, checked, audited, notified) as a single one: more than a
    web request may last. A worker takes them in order, one transaction each, and records its
    place in the same transaction, so a run that dies resumes where it stopped and no member is
    handled twice.
    """

    class Kind(models.TextChoices):
        VERIFY = "verify", _("Verify applications")
        REJECT = "reject", _("Reject applications")
        TRANSFER = "transfer", _("Transfer members")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        STOPPED = "stopped", _("Stopped")
        FAILED = "failed", _("Failed")

    class List(models.TextChoices):
        MEMBERS = "members", _("members")
        PENDING = "pending", _("pending applications")

    kind = models.CharField(_("action"), max_length=8, choices=Kind.choices)
    member_list = models.CharField(max_length=8, choices=List.choices, default=List.MEMBERS, editable=False)
    # Members who join after the action was asked for are left out of it.
    last_member_at_request = models.BigIntegerField(editable=False)
    to_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to union"),
        db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    # Each run that takes the action over counts up; a member is handled only under the latest run.
    run = models.PositiveIntegerField(default=0, editable=False)
    last_member_done = models.BigIntegerField(default=0, editable=False)
    # How many members the action takes in, counted when its first run starts.
    member_count = models.PositiveIntegerField(_("number of members"), null=True, blank=True)
    done_count = models.PositiveIntegerField(_("done"), default=0)
    skipped_count = models.PositiveIntegerField(_("left alone"), default=0)
    # {reason: how many members}, in the requester's language.
    skipped_reasons = models.JSONField(default=dict, blank=True, editable=False)
    # Moved on by every member handled: a queued or running action whose heartbeat stops is handed out again.
    heartbeat_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(MemberListWork.Meta):
        verbose_name = _("bulk member action")
        verbose_name_plural = _("bulk member actions")
        indexes = [
            models.Index(fields=["heartbeat_at"], condition=Q(status__in=["queued", "running"]),
                         name="member_bulk_unfinished_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="transfer") | Q(to_organization__isnull=False),
                                   name="member_bulk_transfer_has_union"),
            models.CheckConstraint(condition=~Q(kind="reject") | ~Q(reason=""), name="member_bulk_reject_has_reason"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running"]) | Q(finished_at__isnull=False),
                name="member_bulk_finished_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {timezone.localtime(self.requested_at):%Y-%m-%d %H:%M}"
