"""`flask territory ...`: reference data of communes and intercommunalities."""

import click
from flask.cli import AppGroup

territory_cli = AppGroup("territory", help="Données de référence du territoire.")
