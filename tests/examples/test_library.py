"""examples/library served by `gitpod-mock serve --contract`, driven by a real Connect client:
connectrpc 0.13.0 (over pyqwest) with protobuf messages grpcio-tools generates from the
example's proto, in both codecs. The nine AIP resource methods keep state per session (create
with and without an id, get, update with and without a field mask, delete, paging, `shelves/-`),
rule violations answer invalid_argument with the buf.validate.Violations detail, LendBook answers
generated data, and the example's scenario fails it on request."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pyqwest
import pytest
from connectrpc.client import ConnectClientSync
from connectrpc.code import Code
from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.errors import ConnectError
from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from google.protobuf import descriptor_pb2, empty_pb2, field_mask_pb2, json_format
from google.protobuf.message_factory import GetMessageClass

CODECS = {"proto": google_protobuf_binary_codec(), "json": google_protobuf_json_codec()}
LEVELS = {
    descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN: IdempotencyLevel.UNKNOWN,
    descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS: IdempotencyLevel.NO_SIDE_EFFECTS,
    descriptor_pb2.MethodOptions.IDEMPOTENT: IdempotencyLevel.IDEMPOTENT,
}
FIXTURE_BOOKS = ["shelves/fiction/books/dune", "shelves/fiction/books/solaris",
                 "shelves/science/books/cosmos"]
MAX_PAGES = 50


class Library:
    """LibraryService through connectrpc, in one session of the mock: `lib.CreateShelf(shelf=…)`
    builds the request from keyword arguments and returns the decoded answer."""

    def __init__(self, server: Any, pb: Any, codec: str, **headers: str) -> None:
        self.pb = pb.library
        self.session = f"library-{uuid.uuid4()}"
        self.headers = {"x-mock-session": self.session, **headers}
        self.client = ConnectClientSync(server.url, codec=CODECS[codec],
                                        http_client=pyqwest.SyncClient(), timeout_ms=10_000)
        service = self.pb.DESCRIPTOR.services_by_name["LibraryService"]
        self.methods = {
            m.name: MethodInfo(
                name=m.name, service_name=service.full_name,
                input=GetMessageClass(m.input_type), output=GetMessageClass(m.output_type),
                idempotency_level=LEVELS[m.GetOptions().idempotency_level], stream_type=StreamType.UNARY,
            )
            for m in service.methods
        }

    def __getattr__(self, method: str) -> Any:
        info = self.methods[method]

        def call(**fields: Any) -> Any:
            return self.client.execute_unary(request=info.input(**fields), method=info, headers=self.headers)

        return call


@pytest.fixture(params=CODECS)
def lib(request: pytest.FixtureRequest, library_server: Any, pb: Any) -> Library:
    return Library(library_server, pb, request.param)


def failure(call: Any, **fields: Any) -> ConnectError:
    with pytest.raises(ConnectError) as error:
        call(**fields)
    return error.value


def violations(pb: Any, error: ConnectError) -> List[Any]:
    """The Violations detail of an invalid_argument, decoded; each as (rule id, field path)."""
    assert error.code == Code.INVALID_ARGUMENT, error
    [detail] = error.details
    assert detail.type_name == "buf.validate.Violations"
    decoded = pb.validate.Violations.FromString(detail.message_bytes).violations
    return [(v.rule_id, ".".join(e.field_name for e in v.field.elements)) for v in decoded]


def all_pages(call: Any, items: str, size: int, **fields: Any) -> List[List[str]]:
    """The names on each page, following next_page_token until it is empty."""
    pages, token = [], ""
    for _ in range(MAX_PAGES):
        answer = call(page_size=size, page_token=token, **fields)
        pages.append([r.name for r in getattr(answer, items)])
        token = answer.next_page_token
        if not token:
            return pages
    raise AssertionError(f"more than {MAX_PAGES} pages")


# ---------------------------------------------------------------- what is served


def test_the_listing_gives_each_method_its_behaviour(library_server: Any) -> None:
    listing = library_server.get("/")
    assert listing["services"] == ["library.v1.LibraryService"]
    behaviour = {m["name"]: m["behaviour"] for m in listing["methods"]}
    assert behaviour.pop("LendBook").startswith("generated: ")
    assert len(behaviour) == 9 and all(b.startswith("resource: ") and b.endswith("(AIP style)")
                                       for b in behaviour.values()), behaviour
    assert behaviour["UpdateBook"] == "resource: Update library.v1.Book (AIP style)"


def test_the_fixtures_are_the_starting_records(lib: Library) -> None:
    shelves = lib.ListShelves().shelves
    assert [(s.name, s.theme) for s in shelves] == [("shelves/fiction", "Fiction"), ("shelves/science", "Science")]
    assert shelves[0].create_time.ToJsonString() == "2026-01-05T09:00:00Z"
    dune = lib.GetBook(name="shelves/fiction/books/dune")
    assert (dune.title, dune.author, dune.isbn, dune.written_year, dune.published_year, dune.read) == (
        "Dune", "Frank Herbert", "9780441013593", 1963, 1965, False)
    assert lib.GetBook(name="shelves/fiction/books/solaris").read is True


# ---------------------------------------------------------------- create, get, update, delete


def test_create_a_shelf_with_and_without_an_id(lib: Library) -> None:
    named = lib.CreateShelf(shelf=lib.pb.Shelf(theme="Poetry"), shelf_id="poetry")
    assert (named.name, named.theme) == ("shelves/poetry", "Poetry")
    assert named.HasField("create_time")
    unnamed = lib.CreateShelf(shelf=lib.pb.Shelf(theme="Drama"))
    prefix, _, shelf_id = unnamed.name.partition("/")
    assert prefix == "shelves" and shelf_id and "/" not in shelf_id
    assert unnamed.theme == "Drama"
    assert lib.GetShelf(name="shelves/poetry") == named
    assert lib.GetShelf(name=unnamed.name) == unnamed
    listed = [s.name for s in lib.ListShelves().shelves]
    assert listed == ["shelves/fiction", "shelves/science", "shelves/poetry", unnamed.name]


def test_a_second_create_with_the_same_id_is_already_exists(lib: Library) -> None:
    lib.CreateShelf(shelf=lib.pb.Shelf(theme="Poetry"), shelf_id="poetry")
    error = failure(lib.CreateShelf, shelf=lib.pb.Shelf(theme="Other"), shelf_id="poetry")
    assert error.code == Code.ALREADY_EXISTS and "shelves/poetry" in error.message
    assert lib.GetShelf(name="shelves/poetry").theme == "Poetry"
    # A fixture's id is taken as well.
    error = failure(lib.CreateBook, parent="shelves/fiction", book=lib.pb.Book(title="Dune II"), book_id="dune")
    assert error.code == Code.ALREADY_EXISTS and "shelves/fiction/books/dune" in error.message
    assert lib.GetBook(name="shelves/fiction/books/dune").title == "Dune"


def test_a_book_from_create_to_delete(lib: Library) -> None:
    book = lib.pb.Book(title="Odes", author="John Keats", isbn="0140424466", written_year=1819,
                       published_year=1820)
    created = lib.CreateBook(parent="shelves/fiction", book=book, book_id="odes")
    assert created.name == "shelves/fiction/books/odes"
    assert (created.title, created.author, created.isbn, created.written_year, created.published_year) == (
        "Odes", "John Keats", "0140424466", 1819, 1820)
    assert created.HasField("create_time") and created.HasField("update_time") and created.etag
    assert lib.GetBook(name=created.name) == created
    unnamed = lib.CreateBook(parent="shelves/science", book=lib.pb.Book(title="Contact"))
    assert unnamed.name.startswith("shelves/science/books/") and unnamed.name != "shelves/science/books/"

    assert lib.DeleteBook(name=created.name) == empty_pb2.Empty()
    assert failure(lib.GetBook, name=created.name).code == Code.NOT_FOUND
    assert failure(lib.DeleteBook, name=created.name).code == Code.NOT_FOUND
    assert failure(lib.UpdateBook, book=lib.pb.Book(name=created.name, title="Odes")).code == Code.NOT_FOUND
    remaining = [b.name for b in lib.ListBooks(parent="shelves/-").books]
    assert remaining == [*FIXTURE_BOOKS, unnamed.name]


def test_delete_a_shelf(lib: Library) -> None:
    # A shelf with books is kept unless the delete is forced, which takes its books too (AIP-135).
    error = failure(lib.DeleteShelf, name="shelves/science")
    assert error.code == Code.FAILED_PRECONDITION and "shelves/science/books/cosmos" in error.message
    lib.DeleteShelf(name="shelves/science", force=True)
    assert failure(lib.GetBook, name="shelves/science/books/cosmos").code == Code.NOT_FOUND
    error = failure(lib.GetShelf, name="shelves/science")
    assert error.code == Code.NOT_FOUND and "shelves/science" in error.message
    assert failure(lib.DeleteShelf, name="shelves/science").code == Code.NOT_FOUND
    assert [s.name for s in lib.ListShelves().shelves] == ["shelves/fiction"]


def test_an_update_with_a_field_mask_changes_only_the_masked_fields(lib: Library) -> None:
    before = lib.GetBook(name="shelves/fiction/books/dune")
    changed = lib.pb.Book(name=before.name, title="Dune Messiah", author="someone else", read=True)
    mask = field_mask_pb2.FieldMask(paths=["title", "read"])
    after = lib.UpdateBook(book=changed, update_mask=mask)
    assert (after.title, after.read) == ("Dune Messiah", True)
    # Not in the mask: as before, though the request's book said otherwise (or nothing).
    assert (after.author, after.isbn, after.written_year, after.published_year) == (
        "Frank Herbert", "9780441013593", 1963, 1965)
    assert after.HasField("update_time") and after.etag and after.etag != before.etag
    assert lib.GetBook(name=before.name) == after


def test_an_update_without_a_mask_replaces_the_book_but_not_its_output_only_fields(lib: Library) -> None:
    created = lib.CreateBook(parent="shelves/fiction", book_id="odes",
                             book=lib.pb.Book(title="Odes", author="John Keats", isbn="0140424466"))
    after = lib.UpdateBook(book=lib.pb.Book(name=created.name, title="Odes, revised", read=True))
    assert (after.title, after.read, after.author, after.isbn) == ("Odes, revised", True, "", "")
    assert after.create_time == created.create_time
    assert after.HasField("update_time") and after.etag != created.etag
    assert lib.GetBook(name=created.name) == after


def test_sessions_keep_their_records_apart(library_server: Any, pb: Any) -> None:
    one, other = Library(library_server, pb, "proto"), Library(library_server, pb, "json")
    one.CreateShelf(shelf=one.pb.Shelf(theme="Poetry"), shelf_id="poetry")
    assert failure(other.GetShelf, name="shelves/poetry").code == Code.NOT_FOUND
    assert [s.name for s in other.ListShelves().shelves] == ["shelves/fiction", "shelves/science"]


# ---------------------------------------------------------------- paging


def test_pages_see_every_book_exactly_once(lib: Library) -> None:
    lib.CreateShelf(shelf=lib.pb.Shelf(theme="Poetry"), shelf_id="poetry")
    made = [lib.CreateBook(parent="shelves/poetry", book=lib.pb.Book(title=f"Poems {i}")).name for i in range(7)]
    pages = all_pages(lib.ListBooks, "books", 3, parent="shelves/poetry")
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [name for p in pages for name in p] == made
    # `shelves/-`: the books of every shelf, fixtures first.
    everywhere = all_pages(lib.ListBooks, "books", 4, parent="shelves/-")
    assert [len(p) for p in everywhere] == [4, 4, 2]
    assert [name for p in everywhere for name in p] == [*FIXTURE_BOOKS, *made]
    # page_size 0: the server's default page, every book here.
    assert [b.name for b in lib.ListBooks(parent="shelves/fiction").books] == FIXTURE_BOOKS[:2]


def test_pages_of_shelves(lib: Library) -> None:
    for theme in ("Poetry", "Drama", "Travel"):
        lib.CreateShelf(shelf=lib.pb.Shelf(theme=theme))
    pages = all_pages(lib.ListShelves, "shelves", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    names = [name for p in pages for name in p]
    assert len(set(names)) == 5 and names[:2] == ["shelves/fiction", "shelves/science"]


def test_a_page_token_not_from_a_page_is_invalid_argument(lib: Library) -> None:
    error = failure(lib.ListBooks, parent="shelves/-", page_token="not-a-token")
    assert error.code == Code.INVALID_ARGUMENT and "not-a-token" in error.message


# ---------------------------------------------------------------- validation


def test_a_rule_violation_is_invalid_argument_with_its_violations(lib: Library, pb: Any) -> None:
    error = failure(lib.CreateBook, parent="shelves/fiction", book=lib.pb.Book(title=""))
    assert error.message == "validation error: book.title: value length must be at least 1 characters"
    assert violations(pb, error) == [("string.min_len", "book.title")]
    error = failure(lib.ListShelves, page_size=101)
    assert violations(pb, error) == [("int32.gte_lte", "page_size")]
    error = failure(lib.CreateBook, parent="shelves/fiction", book=lib.pb.Book(title="Later", published_year=2101))
    assert violations(pb, error) == [("int32.gte_lte", "book.published_year")]
    error = failure(lib.CreateShelf, shelf=lib.pb.Shelf(theme="x" * 65))
    assert violations(pb, error) == [("string.max_len", "shelf.theme")]
    error = failure(lib.GetBook, name="")
    assert violations(pb, error) == [("string.min_len", "name")]
    # Nothing was stored by the calls that failed.
    assert [b.name for b in lib.ListBooks(parent="shelves/-").books] == FIXTURE_BOOKS


def test_a_required_message_left_out_is_invalid_argument(lib: Library, pb: Any) -> None:
    """`(buf.validate.field).required = true` on CreateShelfRequest.shelf and
    CreateBookRequest.book."""
    assert violations(pb, failure(lib.CreateShelf, shelf_id="empty")) == [("required", "shelf")]
    assert violations(pb, failure(lib.CreateBook, parent="shelves/fiction")) == [("required", "book")]


def test_the_isbn_cel_rule(lib: Library, pb: Any) -> None:
    error = failure(lib.CreateBook, parent="shelves/fiction", book=lib.pb.Book(title="Odes", isbn="12"))
    assert violations(pb, error) == [("book.isbn_digits", "book.isbn")]
    assert "isbn must be 10 or 13 digits" in error.message


def test_the_written_before_published_cel_rule(lib: Library, pb: Any) -> None:
    late = lib.pb.Book(title="Odes", written_year=1821, published_year=1820)
    error = failure(lib.CreateBook, parent="shelves/fiction", book=late)
    assert violations(pb, error) == [("book.written_before_published", "book")]
    assert "written_year must not be after published_year" in error.message


def test_the_email_rule(lib: Library, pb: Any) -> None:
    error = failure(lib.LendBook, name=FIXTURE_BOOKS[0], borrower_email="not an email")
    assert violations(pb, error) == [("string.email", "borrower_email")]


def test_the_cel_rules_hold_for_a_valid_book(lib: Library) -> None:
    """The books the CEL rules allow are created."""
    for isbn, written, published in (("", 1990, 0), ("0140424466", 1819, 1820), ("9780441013593", 1965, 1965)):
        book = lib.pb.Book(title="Fine", isbn=isbn, written_year=written, published_year=published)
        assert lib.CreateBook(parent="shelves/fiction", book=book).isbn == isbn


# ---------------------------------------------------------------- generated answers and scenarios


def test_lend_book_answers_generated_data_the_same_for_the_same_request(
        library_server: Any, pb: Any) -> None:
    answers: Dict[str, Any] = {}
    for codec in CODECS:
        lib = Library(library_server, pb, codec)
        receipt = lib.LendBook(name=FIXTURE_BOOKS[0], borrower_email="ada@example.com")
        assert isinstance(receipt, lib.pb.LoanReceipt)
        uuid.UUID(receipt.loan_id)  # its string.uuid rule
        assert "@" in receipt.borrower_email and receipt.HasField("due_time")
        assert lib.LendBook(name=FIXTURE_BOOKS[0], borrower_email="ada@example.com") == receipt
        answers[codec] = json_format.MessageToDict(receipt)
    assert answers["proto"] == answers["json"]
    other = lib.LendBook(name=FIXTURE_BOOKS[1], borrower_email="ada@example.com")
    assert other.loan_id != receipt.loan_id


@pytest.mark.parametrize("codec", CODECS)
def test_the_lending_desk_closed_scenario(codec: str, library_server: Any, pb: Any) -> None:
    closed = Library(library_server, pb, codec, **{"x-mock-scenario": "lending-desk-closed"})
    error = failure(closed.LendBook, name=FIXTURE_BOOKS[0], borrower_email="ada@example.com")
    assert (error.code, error.message) == (Code.UNAVAILABLE, "the lending desk is closed")
    # Every other method answers as usual in the scenario.
    assert closed.GetBook(name=FIXTURE_BOOKS[0]).title == "Dune"
    assert closed.CreateShelf(shelf=closed.pb.Shelf(theme="Poetry"), shelf_id="poetry").name == "shelves/poetry"
    # Without the header, LendBook answers.
    open_desk = Library(library_server, pb, codec)
    assert open_desk.LendBook(name=FIXTURE_BOOKS[0], borrower_email="ada@example.com").loan_id


def test_the_scenario_is_listed(library_server: Any) -> None:
    names = [s["name"] for s in library_server.get("/__mock/scenarios")["scenarios"]]
    assert "lending-desk-closed" in names
