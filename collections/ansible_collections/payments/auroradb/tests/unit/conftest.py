# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `ansible_collections.payments.auroradb` importable for plain pytest runs.

The collection lives at <repo>/collections/ansible_collections/payments/auroradb; putting <repo>/collections
on sys.path lets the tests import the collection the way Ansible does. (ansible-test units sets this up itself.)
"""

import sys
from pathlib import Path

COLLECTIONS_ROOT = str(Path(__file__).resolve().parents[5])
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
