"""labutils.data.errors: each error says what to do, and keeps the remedy apart for the doctor."""

from __future__ import annotations

import pickle

import pytest

from labutils.data.errors import CorruptDataError, DataFolderError, DataNotFoundError


@pytest.mark.parametrize(("kind", "builtin"), [(DataNotFoundError, FileNotFoundError),
                                               (CorruptDataError, RuntimeError),
                                               (DataFolderError, OSError)])
def test_the_message_ends_with_what_to_do_and_the_parts_stay_apart(kind, builtin):
    error = kind("MNIST: the file is truncated.", "delete the folder and run this cell again.")
    assert isinstance(error, builtin)
    assert str(error) == ("MNIST: the file is truncated.\n"
                          "What to do: delete the folder and run this cell again.")
    assert error.problem == "MNIST: the file is truncated."
    assert error.remedy == "delete the folder and run this cell again."
    copy = pickle.loads(pickle.dumps(error))  # as it comes back from another process
    assert type(copy) is kind and str(copy) == str(error) and copy.remedy == error.remedy
