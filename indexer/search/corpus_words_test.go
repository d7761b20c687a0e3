package search

import "strings"

// Folder names and tags of the synthetic corpus (see corpus_test.go; its words come from internal/testutil/prose). Order matters:
// earlier words are drawn more often (Zipf), as in real prose.

var corpusTags = strings.Fields(`
AG CA bureau finances subventions juridique assurance communication
événements sport culture bénévoles adhésions travaux partenariats archives
urgent brouillon validé officiel modèle formation sécurité jeunesse
environnement solidarité presse photos factures devis contrats convocations
procès-verbaux budgets bilans statuts règlements inventaire planning
`)

var topFolderNames = strings.Fields(`
Administratif Comptabilité Assemblées Conseil Communication Événements
Sport Culture Bénévoles Adhésions Partenaires Subventions Travaux Matériel
Formation Jeunesse Environnement Solidarité Archives Projets
`)

var subFolderNames = strings.Fields(`
2016 2017 2018 2019 2020 2021 2022 2023 2024 2025 Brouillons Modèles
Courriers Factures Photos Comptes-rendus Divers Ressources
`)
